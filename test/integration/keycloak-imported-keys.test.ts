/**
 * A Keycloak export's key material is used as-is (issue 18 item 1): the rsa-generated key of a
 * real export is published under Keycloak's kid (KeyUtils.createKeyId: base64url SHA-256 of the
 * X.509 SubjectPublicKeyInfo) with its modulus and certificate (`x5c`, `x5t#S256`, as Keycloak's
 * JWKBuilder publishes them); a token signed by that key before the import verifies against the
 * new /certs; tokens issued here are signed by the same key. A realm that names no
 * defaultSignatureAlgorithm signs RS256 (Keycloak's Constants.DEFAULT_SIGNATURE_ALGORITHM).
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { FIXTURES, startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const KP = 'org.keycloak.keys.KeyProvider';
const json = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));
type Component = { providerId: string; config: Record<string, string[]> };
const component = (realm: { components: Record<string, Component[]> }, providerId: string) =>
  realm.components[KP].find((c) => c.providerId === providerId)!;
/** The private key as Keycloak exports it: base64 PKCS#1 DER, no armour. */
const fileKey = (c: Component) =>
  createPrivateKey({
    key: Buffer.from(c.config.privateKey[0], 'base64'),
    format: 'der',
    type: 'pkcs1',
  });
/** Keycloak's kid, computed with openssl (not with our code): SHA-256 over the DER SubjectPublicKeyInfo, base64url. */
function opensslKid(c: Component): string {
  const pem = createPrivateKey({
    key: Buffer.from(c.config.privateKey[0], 'base64'),
    format: 'der',
    type: 'pkcs1',
  }).export({ format: 'pem', type: 'pkcs1' });
  const spki = execFileSync('openssl', ['rsa', '-pubout', '-outform', 'DER'], {
    input: pem,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  return createHash('sha256').update(spki).digest('base64url');
}
const certs = async (realm: string) =>
  (await (
    await fetch(`${server!.baseUrl}/realms/${realm}/protocol/openid-connect/certs`)
  ).json()) as { keys: JWK[] };

describe('a Keycloak export keeps its keys', () => {
  it("publishes the rsa-generated key of the kc24 export under Keycloak's kid, modulus and certificate; a token it signed before the import verifies", async () => {
    const realm = json('authservices-dotnet-Test-realm-kc24.0.3.json');
    const users = json('authservices-dotnet-Test-users-0-kc24.0.3.json').users;
    const rsa = component(realm, 'rsa-generated');
    const kid = opensslKid(rsa);
    // Signed by the old Keycloak's key, before the import.
    const before = await new SignJWT({ typ: 'Bearer', azp: 'test-client' })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer('http://old-keycloak/realms/Test')
      .setSubject('someone')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(fileKey(rsa));
    server = await startServer({ realms: [{ ...realm, users }] });
    const { keys } = await certs('Test');
    const published = keys.find((k) => k.kid === kid);
    expect(published).toMatchObject({
      kty: 'RSA',
      alg: 'RS256',
      use: 'sig',
      n: createPublicKey(fileKey(rsa)).export({ format: 'jwk' }).n,
    });
    const cert = new X509Certificate(Buffer.from(rsa.config.certificate[0], 'base64'));
    expect(published!.x5c).toEqual([rsa.config.certificate[0]]);
    expect(published!['x5t#S256']).toBe(createHash('sha256').update(cert.raw).digest('base64url'));
    const jwks = createRemoteJWKSet(
      new URL(`${server.baseUrl}/realms/Test/protocol/openid-connect/certs`),
    );
    expect((await jwtVerify(before, jwks)).payload.sub).toBe('someone');
    // Secrets are never published: no `oct` key, no private member.
    expect(keys.some((k) => k.kty === 'oct' || 'd' in k)).toBe(false);

    // Tokens issued here are signed by the same key (the file names RS256) and accepted at userinfo.
    const token = (await (
      await fetch(`${server.baseUrl}/realms/Test/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'test-client',
          client_secret: realm.clients.find(
            (c: { clientId: string }) => c.clientId === 'test-client',
          ).secret,
          username: 'test',
          password: 'test',
          scope: 'openid',
        }),
      })
    ).json()) as { access_token: string };
    expect(decodeProtectedHeader(token.access_token)).toMatchObject({ alg: 'RS256', kid });
    await jwtVerify(token.access_token, createPublicKey(fileKey(rsa)));
    const info = await fetch(`${server.baseUrl}/realms/Test/protocol/openid-connect/userinfo`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(info.status).toBe(200);
    expect(((await info.json()) as { preferred_username: string }).preferred_username).toBe('test');
    // The pre-import token names no session here: refused at userinfo, as Keycloak's UserInfoEndpoint
    // refuses a token whose user session is gone ("User session not found or doesn't have client attached on it").
    expect(
      (
        await fetch(`${server.baseUrl}/realms/Test/protocol/openid-connect/userinfo`, {
          headers: { authorization: `Bearer ${before}` },
        })
      ).status,
    ).toBe(401);
  });

  it.each(['adaptive-authn-adaptive-kc26.5.7.json', 'sovity-authority-portal-dev-kc24.0.4.json'])(
    "imports %s with Keycloak's RSA kid and its HMAC kids",
    async (file) => {
      const realm = json(file);
      server = await startServer({ realms: [realm] });
      const rsa = component(realm, 'rsa-generated');
      const { keys } = await certs(realm.realm);
      expect(keys.map((k) => k.kid)).toContain(opensslKid(rsa));
      const [row] = await server.db.query<{ id: string }>('SELECT id FROM realms WHERE name = $1', [
        realm.realm,
      ]);
      const stored = await server.db.query<{ kid: string; alg: string }>(
        'SELECT kid, alg FROM keys WHERE realm_id = $1',
        [row.id],
      );
      for (const hmac of realm.components[KP].filter(
        (c: Component) => c.providerId === 'hmac-generated',
      )) {
        expect(stored).toContainEqual({ kid: hmac.config.kid[0], alg: hmac.config.algorithm[0] });
      }
      // The secret is not kept in the component config.
      const configs = await server.db.query<{ config: Record<string, string[]> }>(
        'SELECT config FROM components WHERE realm_id = $1',
        [row.id],
      );
      expect(configs.some((c) => 'secret' in c.config || 'privateKey' in c.config)).toBe(false);
    },
  );

  it("imports the legacy realm-level privateKey / certificate as an rsa key under Keycloak's kid", async () => {
    const realm = json('authservices-dotnet-Test-realm-kc24.0.3.json');
    const rsa = component(realm, 'rsa-generated');
    const legacy = {
      realm: 'legacy',
      privateKey: rsa.config.privateKey[0],
      certificate: rsa.config.certificate[0],
      publicKey: 'ignored',
    };
    server = await startServer({ realms: [legacy] });
    const published = (await certs('legacy')).keys.find((k) => k.kid === opensslKid(rsa));
    expect(published).toMatchObject({ kty: 'RSA', alg: 'RS256', x5c: [rsa.config.certificate[0]] });
    const [row] = await server.db.query<{ representation: unknown }>(
      "SELECT representation FROM realms WHERE name = 'legacy'",
    );
    expect(row).toBeDefined();
    expect(JSON.stringify(row.representation)).not.toContain(rsa.config.privateKey[0].slice(0, 40));
  });

  it('a realm without defaultSignatureAlgorithm signs RS256; DEFAULT_SIGNATURE_ALGORITHM chooses another default; every realm has ML-DSA-65 keys', async () => {
    const realm = {
      realm: 'plain',
      clients: [{ clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true }],
      users: [{ username: 'u', credentials: [{ type: 'password', value: 'pw' }] }],
    };
    const tokenAlg = async () => {
      const r = (await (
        await fetch(`${server!.baseUrl}/realms/plain/protocol/openid-connect/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'password',
            client_id: 'cli',
            username: 'u',
            password: 'pw',
            scope: 'openid',
          }),
        })
      ).json()) as { access_token: string; id_token: string };
      return [decodeProtectedHeader(r.access_token).alg, decodeProtectedHeader(r.id_token).alg];
    };
    server = await startServer({ realms: [realm] });
    expect(await tokenAlg()).toEqual(['RS256', 'RS256']);
    expect((await certs('plain')).keys.map((k) => k.alg)).toEqual(
      expect.arrayContaining(['RS256', 'ML-DSA-65']),
    );
    await server.close();
    server = undefined;
    server = await startServer({
      realms: [realm],
      env: { DEFAULT_SIGNATURE_ALGORITHM: 'ML-DSA-65' },
    });
    expect(await tokenAlg()).toEqual(['ML-DSA-65', 'ML-DSA-65']);
  });
});
