/**
 * `node bench/mappers-pipeline.ts`: the CPU cost of a password-grant token's claims (access token
 * and id token, `scope=openid`, the per-request path of RealmClaims.claims: plan cache, no
 * per-user memo) for bench/mappers-client.ts's client with 10 protocol mappers, beside the same
 * for a client with none of its own (Keycloak 26's built-in scopes only), in one process. The
 * two are measured in turn, ROUNDS times for SLICE_MS each, and the ratio reported is the median
 * of the rounds' ratios, so a shared machine's swings hit both sides alike (bench/run.ts's
 * style). Also client_credentials access tokens' claims (Keycloak's default scopes, the
 * per-user memo), to set beside a grant's signing time. No I/O: the user is in memory, as the token endpoint has it after its one read.
 * Prints a markdown table; env MAPPERS_ROUNDS (default 7), MAPPERS_SLICE_MS (default 500).
 */
import pino from 'pino';
import { parseRealm } from '../src/realm/import.ts';
import { RealmModel } from '../src/model/model.ts';
import { userSchema, type RealmDocument } from '../src/model/representation.ts';
import { createRealmClaims } from '../src/oidc/claims.ts';
import type { StoredUser } from '../src/store/users.ts';
import { serviceAccountNotes } from '../src/mappers/service-account.ts';
import { MAPPERS_CLIENT, MAPPERS_GROUPS, MAPPERS_USER_EXTRA } from './mappers-client.ts';

const ROUNDS = Number(process.env.MAPPERS_ROUNDS ?? 7);
const SLICE_MS = Number(process.env.MAPPERS_SLICE_MS ?? 500);
const rep = parseRealm(
  {
    realm: 'bench',
    clients: [
      {
        clientId: 'pw',
        publicClient: true,
        standardFlowEnabled: false,
        directAccessGrantsEnabled: true,
      },
      MAPPERS_CLIENT,
      { clientId: 'svc', secret: 's', serviceAccountsEnabled: true, standardFlowEnabled: false },
    ],
    roles: { client: { account: [{ name: 'view-profile' }] } },
    groups: MAPPERS_GROUPS,
  },
  'bench',
  {},
);
const realm = new RealmModel({ ...rep, id: 'bench' } as RealmDocument);
const claims = createRealmClaims(
  realm,
  pino({ level: 'silent' }),
  'https://bench.example/realms/bench',
);
const user = {
  ...userSchema.parse({
    username: 'bob',
    firstName: 'Bob',
    lastName: 'Builder',
    email: 'bob@example.com',
    ...MAPPERS_USER_EXTRA,
  }),
  id: 'bob-id',
} as unknown as StoredUser;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Tokens' claims (access + id) per second for `clientId`, for SLICE_MS. */
function rate(clientId: string): number {
  const client = realm.client(clientId)!;
  const session = { notes: { AUTH_TIME: '1700000000' }, acr: '1', sid: 's' };
  let n = 0;
  const end = performance.now() + SLICE_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i += 1) {
      claims.claims({ client, user, session, scopeParam: 'openid', target: 'access' });
      claims.claims({ client, user, session, scopeParam: 'openid', target: 'id' });
    }
    n += 50;
  }
  return n / (SLICE_MS / 1000);
}

/**
 * client_credentials access tokens' claims per second (Keycloak 26's default scopes, the
 * service-account session, the per-user memo the token endpoint uses for kept service accounts).
 */
function serviceRate(): number {
  const client = realm.client('svc')!;
  const account = {
    ...user,
    id: 'svc-id',
    username: 'service-account-svc',
    serviceAccountClientId: 'svc',
  } as StoredUser;
  const session = {
    notes: serviceAccountNotes('svc', '127.0.0.1', '127.0.0.1'),
    acr: '1',
    transient: true,
  };
  let n = 0;
  const end = performance.now() + SLICE_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i += 1)
      claims.claims({ client, user: account, session, scopeParam: undefined, target: 'access' });
    n += 50;
  }
  return n / (SLICE_MS / 1000);
}

rate('pw');
rate(MAPPERS_CLIENT.clientId);
serviceRate(); // warm-up (JIT, plan cache, memo)
const service = median(Array.from({ length: ROUNDS }, serviceRate));
const rounds = Array.from(
  { length: ROUNDS },
  () => [rate('pw'), rate(MAPPERS_CLIENT.clientId)] as const,
);
const mapped = claims.claims({
  client: realm.client(MAPPERS_CLIENT.clientId)!,
  user,
  session: { notes: {}, acr: '1' },
  scopeParam: 'openid',
  target: 'access',
});
const f = (x: number, d = 0) => x.toFixed(d);
const lines: string[] = [];
const print = (line = '') => lines.push(line);
print('| client | access + id token claims per second, 1 core | µs per token pair |');
print('|---|---:|---:|');
print(
  `| \`pw\` (built-in scopes only) | ${f(median(rounds.map((r) => r[0])))} | ${f(1e6 / median(rounds.map((r) => r[0])), 1)} |`,
);
print(
  `| \`pw-mappers\` (built-in scopes + 10 mappers) | ${f(median(rounds.map((r) => r[1])))} | ${f(1e6 / median(rounds.map((r) => r[1])), 1)} |`,
);
print(
  `| \`svc\`, client_credentials access token (default scopes, memo) | ${f(service)} | ${f(1e6 / service, 1)} per token |`,
);
print();
print(
  `with 10 mappers / without, median of ${ROUNDS} rounds: ${f(median(rounds.map(([a, b]) => b / a)), 2)} (rounds: ${rounds.map(([a, b]) => f(b / a, 2)).join(', ')}); skipped mappers: ${mapped.skipped.length}; claims written: ${['department', 'org', 'login', 'tenant', 'features', 'groups', 'roles', 'account_roles', 'name'].filter((c) => c in mapped.claims).length} of 9 (+ aud).`,
);
process.stdout.write(`${lines.join('\n')}\n`);
