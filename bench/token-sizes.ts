/**
 * Token sizes per signing algorithm (bytes of the compact JWT): a client_credentials access
 * token and a password-grant id token from a realm with a key for every algorithm.
 * Run: node bench/token-sizes.ts   (prints a Markdown table)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../test/helpers/server.ts';

const ALGS = [
  'RS256',
  'ES256',
  'ML-DSA-44',
  'ML-DSA-65',
  'ML-DSA-87',
  'DILITHIUM3',
  'ML-DSA-65-ES256',
  'ML-DSA-65-RS256',
  'ML-DSA-65-PS256',
];
const provider = (alg: string) =>
  alg.startsWith('ES')
    ? 'ecdsa-generated'
    : alg === 'RS256'
      ? 'rsa-generated'
      : alg.includes('-RS') || alg.includes('-PS') || alg.includes('-ES')
        ? 'composite-generated'
        : 'ml-dsa-generated';

const realm = {
  realm: 'sizes',
  components: {
    'org.keycloak.keys.KeyProvider': ALGS.map((alg) => ({
      name: alg,
      providerId: provider(alg),
      config: { algorithm: [alg], priority: ['100'] },
    })),
  },
  clients: ALGS.map((alg) => ({
    clientId: `c-${alg}`,
    secret: 's',
    serviceAccountsEnabled: true,
    directAccessGrantsEnabled: true,
    attributes: { 'access.token.signed.response.alg': alg, 'id.token.signed.response.alg': alg },
  })),
  users: [
    {
      username: 'alice',
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      credentials: [{ value: 'alice' }],
    },
  ],
};
const file = path.join(mkdtempSync(path.join(tmpdir(), 'qsign-sizes-')), 'sizes.json');
writeFileSync(file, JSON.stringify(realm));
const server = await startServer({ realmFiles: [file] });
const token = async (alg: string, body: Record<string, string>) =>
  (
    await fetch(`${server.baseUrl}/realms/sizes/protocol/openid-connect/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`c-${alg}:s`).toString('base64')}`,
      },
      body: new URLSearchParams(body),
    })
  ).json() as unknown as Record<string, string>;

const rows = [
  '| alg | access token (client_credentials) | id token (password grant) | signature |',
  '|---|---:|---:|---:|',
];
for (const alg of ALGS) {
  const cc = await token(alg, { grant_type: 'client_credentials' });
  const pw = await token(alg, {
    grant_type: 'password',
    username: 'alice',
    password: 'alice',
    scope: 'openid',
  });
  const signature = Buffer.from(cc.access_token.split('.')[2], 'base64url').length;
  rows.push(`| ${alg} | ${cc.access_token.length} | ${pw.id_token.length} | ${signature} |`);
}
process.stdout.write(`${rows.join('\n')}\n`);
await server.close();
