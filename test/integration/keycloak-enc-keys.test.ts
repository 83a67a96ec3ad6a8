/**
 * Encryption keys of a Keycloak export are kept (issue 18 item 1): the `rsa-enc-generated` key is
 * published in /certs under Keycloak's kid (KeyUtils.createKeyId: base64url SHA-256 of the X.509
 * SubjectPublicKeyInfo DER, here taken from the file's certificate with node:crypto) with `use`
 * "enc" and the component's `algorithm` (Keycloak's JWKBuilder.rsa with KeyUse.ENC; default
 * RSA-OAEP per Attributes.RS_ENC_ALGORITHM_PROPERTY), `x5c` / `x5t#S256` from its certificate; it
 * never signs. The `aes-generated` key (GeneratedAesKeyProviderFactory: type OCT, algorithm AES,
 * KeyUse.ENC) keeps its kid and secret, is listed by GET /admin/realms/{r}/keys and never published.
 * A realm export writes both back in Keycloak's form, and its re-import has the same kids.
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, type JWK } from 'jose';
import { FIXTURES, REPO, startServer, type TestServer } from '../helpers/server.ts';
import { adminCall, passwordToken } from '../helpers/admin.ts';
import { exportRealm } from '../../src/realm/export.ts';

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
const start = async (realms: Record<string, unknown>[]) => {
  const s = await startServer({ realmFiles: [path.join(REPO, 'realms', 'master.json')], realms });
  servers.push(s);
  return s;
};

const KP = 'org.keycloak.keys.KeyProvider';
type Component = { name: string; providerId: string; config: Record<string, string[]> };
type Realm = {
  realm: string;
  components: Record<string, Component[]>;
  clients: { clientId: string; secret?: string }[];
};
const json = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));
const component = (realm: Realm, providerId: string) =>
  realm.components[KP].find((c) => c.providerId === providerId)!;
/** Keycloak's kid of the file's certificate key: SHA-256 over its SubjectPublicKeyInfo DER, base64url (KeyUtils.createKeyId). */
const certificateKid = (c: Component) =>
  createHash('sha256')
    .update(
      new X509Certificate(Buffer.from(c.config.certificate[0], 'base64')).publicKey.export({
        format: 'der',
        type: 'spki',
      }),
    )
    .digest('base64url');
const certs = async (s: TestServer, realm: string) =>
  (await (await fetch(`${s.baseUrl}/realms/${realm}/protocol/openid-connect/certs`)).json()) as {
    keys: JWK[];
  };
type KeyMeta = {
  kid: string;
  type: string;
  use: string;
  algorithm: string;
  status: string;
  publicKey?: string;
};
async function adminKeys(
  s: TestServer,
  realm: string,
): Promise<{ active: Record<string, string>; keys: KeyMeta[] }> {
  const token = await passwordToken(s.baseUrl, 'master', 'admin', 'admin-test-password');
  return (await adminCall(s.baseUrl, token, 'GET', `/${realm}/keys`)).body as {
    active: Record<string, string>;
    keys: KeyMeta[];
  };
}

describe('a Keycloak export keeps its encryption keys', () => {
  it.each([
    'adaptive-authn-adaptive-kc26.5.7.json',
    'authservices-dotnet-Test-realm-kc24.0.3.json',
  ])(
    "%s: the rsa-enc-generated key is in /certs under Keycloak's kid with use enc; the AES key is listed, not published",
    async (file) => {
      const realm = json(file) as Realm;
      const enc = component(realm, 'rsa-enc-generated');
      const aes = component(realm, 'aes-generated');
      const s = await start([realm]);
      const kid = certificateKid(enc);
      const { keys } = await certs(s, realm.realm);
      const published = keys.find((k) => k.kid === kid);
      const cert = new X509Certificate(Buffer.from(enc.config.certificate[0], 'base64'));
      expect(published).toEqual({
        kty: 'RSA',
        kid,
        use: 'enc',
        alg: enc.config.algorithm?.[0] ?? 'RSA-OAEP',
        n: cert.publicKey.export({ format: 'jwk' }).n,
        e: 'AQAB',
        x5c: [enc.config.certificate[0]],
        'x5t#S256': createHash('sha256').update(cert.raw).digest('base64url'),
      });
      // The AES secret (and every private member) is never published.
      expect(keys.some((k) => k.kid === aes.config.kid[0] || k.kty === 'oct' || 'd' in k)).toBe(
        false,
      );

      // GET /keys lists both as Keycloak's KeysMetadataRepresentation does.
      const listed = await adminKeys(s, realm.realm);
      expect(listed.keys.find((k) => k.kid === kid)).toMatchObject({
        type: 'RSA',
        use: 'ENC',
        algorithm: 'RSA-OAEP',
        status: 'ACTIVE',
        publicKey: cert.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      });
      expect(listed.keys.find((k) => k.kid === aes.config.kid[0])).toMatchObject({
        type: 'OCT',
        use: 'ENC',
        algorithm: 'AES',
        status: 'ACTIVE',
      });
      expect(listed.keys.find((k) => k.kid === aes.config.kid[0])).not.toHaveProperty('publicKey');

      // Sealed at rest: neither the component config nor the key row holds the material in clear.
      const [row] = await s.db.query<{ id: string }>('SELECT id FROM realms WHERE name = $1', [
        realm.realm,
      ]);
      const configs = await s.db.query<{ config: Record<string, string[]> }>(
        'SELECT config FROM components WHERE realm_id = $1',
        [row.id],
      );
      expect(configs.some((c) => 'secret' in c.config || 'privateKey' in c.config)).toBe(false);
      const [sealed] = await s.db.query<{ private_key: Uint8Array }>(
        'SELECT private_key FROM keys WHERE realm_id = $1 AND kid = $2',
        [row.id, aes.config.kid[0]],
      );
      expect(
        Buffer.from(sealed.private_key).includes(Buffer.from(aes.config.secret[0], 'base64url')),
      ).toBe(false);
    },
  );

  it('the encryption key never signs: tokens are signed by the signing key, and RSA-OAEP is no signature algorithm of the realm or of a key provider', async () => {
    const realm = json('authservices-dotnet-Test-realm-kc24.0.3.json') as Realm;
    const users = json('authservices-dotnet-Test-users-0-kc24.0.3.json').users;
    const s = await start([{ ...realm, users }]);
    const encKid = certificateKid(component(realm, 'rsa-enc-generated'));
    const secret = realm.clients.find((c) => c.clientId === 'test-client')!.secret!;
    const tokens = (await (
      await fetch(`${s.baseUrl}/realms/Test/protocol/openid-connect/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'test-client',
          client_secret: secret,
          username: 'test',
          password: 'test',
          scope: 'openid',
        }),
      })
    ).json()) as { access_token: string; id_token: string; refresh_token: string };
    for (const t of [tokens.access_token, tokens.id_token, tokens.refresh_token])
      expect(decodeProtectedHeader(t).kid).not.toBe(encKid);
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe('RS256');

    const token = await passwordToken(s.baseUrl, 'master', 'admin', 'admin-test-password');
    const realmRep = (await adminCall(s.baseUrl, token, 'GET', '/Test')).body as Record<
      string,
      unknown
    >;
    // An rsa-generated (signing) provider refuses an encryption algorithm; rsa-enc-generated refuses a signing one.
    const signing = await adminCall(s.baseUrl, token, 'POST', '/Test/components', {
      name: 'x',
      providerId: 'rsa-generated',
      providerType: KP,
      parentId: realmRep.id,
      config: { algorithm: ['RSA-OAEP'] },
    });
    expect(signing.status).toBe(400);
    const encSig = await adminCall(s.baseUrl, token, 'POST', '/Test/components', {
      name: 'y',
      providerId: 'rsa-enc-generated',
      providerType: KP,
      parentId: realmRep.id,
      config: { algorithm: ['RS256'] },
    });
    expect(encSig.status).toBe(400);
    expect(encSig.body).toMatchObject({ errorMessage: expect.stringContaining('algorithm') });
    // The realm cannot be told to sign with it.
    const put = await adminCall(s.baseUrl, token, 'PUT', '/Test', {
      ...realmRep,
      defaultSignatureAlgorithm: 'RSA-OAEP',
    });
    expect(put.status).toBe(400);
  });

  it("an rsa-enc-generated provider made through the admin API generates a 2048-bit key (Keycloak's default keySize) published with its configured alg", async () => {
    const s = await start([{ realm: 'fresh' }]);
    const token = await passwordToken(s.baseUrl, 'master', 'admin', 'admin-test-password');
    const realmRep = (await adminCall(s.baseUrl, token, 'GET', '/fresh')).body as { id: string };
    const made = await adminCall(s.baseUrl, token, 'POST', '/fresh/components', {
      name: 'enc',
      providerId: 'rsa-enc-generated',
      providerType: KP,
      parentId: realmRep.id,
      config: { algorithm: ['RSA-OAEP-256'] },
    });
    expect(made.status).toBe(201);
    const aes = await adminCall(s.baseUrl, token, 'POST', '/fresh/components', {
      name: 'aes',
      providerId: 'aes-generated',
      providerType: KP,
      parentId: realmRep.id,
      config: { secretSize: ['32'] },
    });
    expect(aes.status).toBe(201);
    const enc = (await certs(s, 'fresh')).keys.filter((k) => k.use === 'enc');
    expect(enc).toHaveLength(1);
    expect(enc[0]).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP-256' });
    expect(Buffer.from(enc[0].n!, 'base64url')).toHaveLength(256);
    // Keycloak's kid of the published key.
    expect(enc[0].kid).toBe(
      createHash('sha256')
        .update(
          createPublicKey({ key: enc[0] as never, format: 'jwk' }).export({
            format: 'der',
            type: 'spki',
          }),
        )
        .digest('base64url'),
    );
    const listed = await adminKeys(s, 'fresh');
    expect(
      listed.keys
        .filter((k) => k.use === 'ENC')
        .map((k) => [k.type, k.algorithm])
        .sort(),
    ).toEqual([
      ['OCT', 'AES'],
      ['RSA', 'RSA-OAEP-256'],
    ]);
    // 32 bytes: the exported secret decodes to an AES-256 key.
    const exported = (await exportRealm(s.db, 'fresh', { users: false })) as unknown as Realm;
    expect(
      Buffer.from(component(exported, 'aes-generated').config.secret[0], 'base64url'),
    ).toHaveLength(32);
  });

  it("an export writes both keys back in Keycloak's form and its re-import keeps their kids and material", async () => {
    const realm = json('adaptive-authn-adaptive-kc26.5.7.json') as Realm;
    const first = await start([realm]);
    const exported = (await exportRealm(first.db, realm.realm, {
      users: true,
    })) as unknown as Realm;
    const enc = component(exported, 'rsa-enc-generated');
    const aes = component(exported, 'aes-generated');
    const fileEnc = component(realm, 'rsa-enc-generated');
    // The same private key (Keycloak's export: base64 DER, no armour), certificate and algorithm.
    expect(enc.config.privateKey[0]).not.toContain('-----BEGIN');
    const pub = (text: string, type: 'pkcs1' | 'pkcs8') =>
      createPublicKey(
        createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type }),
      ).export({ format: 'jwk' }).n;
    expect(pub(enc.config.privateKey[0], 'pkcs8')).toBe(pub(fileEnc.config.privateKey[0], 'pkcs1'));
    expect(enc.config.certificate).toEqual(fileEnc.config.certificate);
    expect(enc.config.algorithm).toEqual(['RSA-OAEP']);
    expect(aes.config).toMatchObject({
      kid: component(realm, 'aes-generated').config.kid,
      secret: component(realm, 'aes-generated').config.secret,
    });

    const second = await start([exported as unknown as Record<string, unknown>]);
    const kid = certificateKid(fileEnc);
    expect((await certs(second, realm.realm)).keys.find((k) => k.kid === kid)).toMatchObject({
      use: 'enc',
      alg: 'RSA-OAEP',
    });
    expect(
      (await adminKeys(second, realm.realm)).keys.find((k) => k.kid === aes.config.kid[0]),
    ).toMatchObject({ type: 'OCT', use: 'ENC' });
  });
});
