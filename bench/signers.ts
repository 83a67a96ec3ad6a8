/**
 * Signer back ends side by side: client_credentials tokens/s through the real token endpoint for
 * keys held locally, in Vault transit (the test server of test/vault, over loopback HTTP) and on
 * a PKCS#11 token (SoftHSM2), each as a ratio to the local key of the same alg, measured in the
 * same run. Also the raw signing rate of each Signer (no HTTP). Results: bench/results/signers.md.
 * Run: npm run bench   (needs Debian's softhsm2 for the PKCS#11 rows; they are left out without it)
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startServer } from '../test/helpers/server.ts';
import { initSoftHsmTokens } from '../test/helpers/components.ts';
import { VaultTransitTestServer } from '../test/vault/transit-server.ts';
import { addKeyProvider } from '../src/keys/add-provider.ts';
import { createTokenKey } from '../src/signer/pkcs11/keygen.ts';

const DURATION = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 16;
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const hasHsm = existsSync(MODULE);
const dir = mkdtempSync(path.join(tmpdir(), 'qsign-bench-'));

if (hasHsm) {
  process.env.QSIGN_BENCH_PIN = '1111';
  initSoftHsmTokens(dir, ['bench'], '1111', '2222');
}
const vault = await new VaultTransitTestServer().start();
vault.createKey('rsa', 'rsa-2048');
vault.createKey('pq', 'ml-dsa');
process.env.QSIGN_BENCH_VAULT_TOKEN = vault.rootToken;

const rows: { name: string; alg: string; backend: string; kind: string }[] = [
  { name: 'local-RS256', alg: 'RS256', backend: 'local', kind: 'local' },
  { name: 'local-ML-DSA-65', alg: 'ML-DSA-65', backend: 'local', kind: 'local' },
  { name: 'vault-RS256', alg: 'RS256', backend: 'vault-transit', kind: 'vault' },
  { name: 'vault-ML-DSA-65', alg: 'ML-DSA-65', backend: 'vault-transit', kind: 'vault' },
  ...(hasHsm
    ? [
        { name: 'hsm-RS256', alg: 'RS256', backend: 'pkcs11', kind: 'hsm' },
        { name: 'hsm-ML-DSA-65', alg: 'ML-DSA-65', backend: 'pkcs11 (seed-wrapped)', kind: 'hsm' },
      ]
    : []),
];
const file = path.join(dir, 'bench.json');
writeFileSync(
  file,
  JSON.stringify({
    realm: 'bench',
    accessTokenLifespan: 300,
    clients: rows.map((r) => ({
      clientId: r.name,
      secret: 's',
      serviceAccountsEnabled: true,
      attributes: { 'access.token.signed.response.alg': r.alg },
    })),
  }),
);
// The operator's declaration of the two back ends (docs/backends.md); the components name them.
const KEY_BACKENDS = JSON.stringify({
  'bench-vault': {
    type: 'vault-transit',
    address: vault.url,
    auth: { method: 'token', tokenEnv: 'QSIGN_BENCH_VAULT_TOKEN' },
    realms: ['bench'],
  },
  ...(hasHsm
    ? {
        'bench-hsm': {
          type: 'pkcs11',
          module: MODULE,
          tokenLabel: 'bench',
          pinEnv: 'QSIGN_BENCH_PIN',
          sessions: CONNECTIONS,
          realms: ['bench'],
        },
      }
    : {}),
});
const server = await startServer({ realmFiles: [file], env: { KEY_BACKENDS } });
const [realm] = await server.db.query<{ id: string; name: string }>(
  "SELECT id, name FROM realms WHERE name = 'bench'",
);

// One realm, one key per back end; each client's tokens must be signed by its own back end, so
// each measurement runs with only that back end's key ACTIVE for the alg (the others PASSIVE).
const vaultConfig = { backend: ['bench-vault'] };
const hsmConfig = { backend: ['bench-hsm'] };
const components: Record<string, string> = {};
for (const row of rows.filter((r) => r.kind !== 'local')) {
  let config: Record<string, string[]>;
  if (row.kind === 'vault')
    config = {
      ...vaultConfig,
      keyName: [row.alg === 'RS256' ? 'rsa' : 'pq'],
      algorithm: [row.alg],
    };
  else {
    const keyId = Buffer.from(row.name).toString('hex');
    const hsm = { ...hsmConfig, keyId: [keyId], algorithm: [row.alg] };
    const created = await createTokenKey(
      server.backends.pkcs11('bench-hsm', 'bench'),
      row.alg,
      keyId,
      row.name,
    );
    config = created.wrappedSeed
      ? { ...hsm, wrappedSeed: [created.wrappedSeed.toString('base64')] }
      : hsm;
  }
  components[row.name] = await addKeyProvider(
    server.db,
    server.config.keyEncryptionKey,
    server.backends,
    realm,
    {
      name: row.name,
      providerId: row.kind === 'vault' ? 'vault-transit' : 'pkcs11',
      config: { ...config, priority: ['500'], active: ['false'] },
    },
    'bench',
  );
}

async function activate(row: (typeof rows)[number]): Promise<void> {
  for (const other of rows.filter((r) => r.kind !== 'local' && r.alg === row.alg)) {
    await server.db.query(
      "UPDATE keys SET status = $2 WHERE component_id = $1 AND status <> 'DISABLED'",
      [components[other.name], other.name === row.name ? 'ACTIVE' : 'PASSIVE'],
    );
  }
  await server.db.query('UPDATE realms SET version = version + 1 WHERE id = $1', [realm.id]);
  server.registry.invalidate('bench');
}

// Two rounds, rows interleaved, best round kept: the machine is shared and the first runs warm the JIT up.
const results: {
  row: (typeof rows)[number];
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}[] = [];
for (const round of [1, 2])
  for (const row of rows) {
    await activate(row);
    const body = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${row.name}:s`).toString('base64')}`,
    };
    await autocannon({
      url: `${server.baseUrl}/realms/bench/protocol/openid-connect/token`,
      method: 'POST',
      body,
      headers,
      connections: CONNECTIONS,
      duration: 1,
    });
    const r = await autocannon({
      url: `${server.baseUrl}/realms/bench/protocol/openid-connect/token`,
      method: 'POST',
      body,
      headers,
      connections: CONNECTIONS,
      duration: DURATION,
    });
    const previous = results.find((x) => x.row === row);
    const current = {
      row,
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.non2xx + r.errors + (previous?.errors ?? 0),
    };
    if (!previous) results.push(current);
    else if (current.rps > previous.rps) Object.assign(previous, current);
    else previous.errors = current.errors;
    process.stderr.write(
      `round ${round} ${row.name}: ${r.requests.average.toFixed(0)} tokens/s, p99 ${r.latency.p99} ms, errors ${r.non2xx + r.errors}\n`,
    );
  }

const local = (alg: string) =>
  results.find((r) => r.row.kind === 'local' && r.row.alg === alg)!.rps;
const lines = [
  `# Signer back ends (${new Date().toISOString()})`,
  '',
  `client_credentials grants through the token endpoint, ${CONNECTIONS} connections, best of two ${DURATION} s rounds, load generator (autocannon) in the same process; ${cpus().length} CPUs. Vault = the transit test server over loopback HTTP (test/vault), HSM = SoftHSM2. Ratios are to the local key of the same alg in this run.`,
  '',
  '| back end | alg | tokens/s | ratio to local | p50 ms | p99 ms | errors |',
  '|---|---|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.row.backend} | ${r.row.alg} | ${r.rps.toFixed(0)} | ${(r.rps / local(r.row.alg)).toFixed(2)} | ${r.p50} | ${r.p99} | ${r.errors} |`,
  ),
  '',
];
mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(path.join(import.meta.dirname, 'results', 'signers.md'), lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
await server.close();
await vault.stop();
process.exit(0);
