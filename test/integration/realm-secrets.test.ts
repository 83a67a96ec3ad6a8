/**
 * Secrets in stored realm documents are encrypted at rest (store/realm-secrets.ts): after an
 * import, the raw `realms` row holds no client secret, rotated client secret, SMTP password or
 * identity-provider client secret in clear (it held all four), while client_credentials with the
 * secret and the admin API's client-secret GET (Keycloak's ClientResource.getClientSecret) work as
 * before. Secrets an older version stored in clear are sealed at start; a sealed value moved to
 * another field does not open. On PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { testStores } from '../helpers/components.ts';
import {
  findRealm,
  listRealms,
  RealmSecretError,
  sealClearRealmSecrets,
} from '../../src/store/realms.ts';
import { openSqlClient } from '../../src/store/sql.ts';

const CLIENT_SECRET = 'client-secret-0d4e6b1f';
const ROTATED_SECRET = 'rotated-secret-5a7c2e90';
const SMTP_PASSWORD = 'smtp-password-91b3c7d2';
const IDP_SECRET = 'idp-client-secret-3f8a6e14';
const REALM = {
  realm: 'sealed',
  clients: [
    {
      clientId: 'svc',
      secret: CLIENT_SECRET,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      attributes: { 'client.secret.rotated': ROTATED_SECRET },
    },
  ],
  smtpServer: {
    host: 'smtp.example.com',
    port: '587',
    from: 'sso@example.com',
    auth: 'true',
    user: 'mailer',
    password: SMTP_PASSWORD,
  },
  identityProviders: [
    {
      alias: 'corp',
      providerId: 'oidc',
      enabled: true,
      config: {
        clientId: 'qsign',
        clientSecret: IDP_SECRET,
        tokenUrl: 'https://idp.example.com/token',
      },
    },
  ],
};

const stores = await testStores();

describe.each(stores)('realm secrets at rest on $name', (store) => {
  let server: TestServer;
  let drop: (() => Promise<void>) | undefined;
  let kc: KcAdminClient;
  beforeAll(async () => {
    const database = await store.databaseUrl?.();
    drop = database?.drop;
    server = await startServer({
      databaseUrl: database?.url,
      realmFiles: [path.join(REPO, 'realms', 'master.json')],
      realms: [REALM],
    });
    kc = await masterAdmin(server.baseUrl);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  const rawRow = async () =>
    (
      await server.db.query<{ text: string }>(
        "SELECT representation::text AS text FROM realms WHERE name = 'sealed'",
      )
    )[0].text;
  const token = (secret: string) =>
    fetch(`${server.baseUrl}/realms/sealed/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'svc',
        client_secret: secret,
      }),
    });

  it('the raw row holds none of the secrets in clear, each sealed', async () => {
    const raw = await rawRow();
    for (const secret of [CLIENT_SECRET, ROTATED_SECRET, SMTP_PASSWORD, IDP_SECRET])
      expect(raw).not.toContain(secret);
    const doc = JSON.parse(raw);
    const svc = doc.clients.find((c: { clientId: string }) => c.clientId === 'svc');
    for (const value of [
      svc.secret,
      svc.attributes['client.secret.rotated'],
      doc.smtpServer.password,
      doc.identityProviders[0].config.clientSecret,
    ])
      expect(value).toMatch(/^qsign-sealed:[\w-]{40,}$/);
    // The fields around them are untouched.
    expect(doc.smtpServer.user).toBe('mailer');
    expect(doc.identityProviders[0].config.clientId).toBe('qsign');
  });

  it('client_credentials with the secret works, a wrong one does not; the admin API returns the secret', async () => {
    const good = await token(CLIENT_SECRET);
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ access_token: expect.any(String) });
    expect((await token('wrong')).status).toBe(401);
    const [svc] = await kc.clients.find({ realm: 'sealed', clientId: 'svc' });
    expect(await kc.clients.getClientSecret({ realm: 'sealed', id: svc.id! })).toEqual({
      type: 'secret',
      value: CLIENT_SECRET,
    });
    expect(await rawRow()).not.toContain(CLIENT_SECRET);
  });

  it('a regenerated secret is sealed too, and is the one that works', async () => {
    const [svc] = await kc.clients.find({ realm: 'sealed', clientId: 'svc' });
    const { value } = await kc.clients.generateNewClientSecret({ realm: 'sealed', id: svc.id! });
    expect(value).toMatch(/.{16,}/);
    expect(await rawRow()).not.toContain(value!);
    expect((await token(value!)).status).toBe(200);
    expect((await token(CLIENT_SECRET)).status).toBe(401);
  });

  it('clear values from an older version are read, then sealed at start; a sealed value moved elsewhere does not open', async () => {
    await server.db.query(
      `UPDATE realms SET representation = jsonb_set(representation, '{smtpServer,password}', '"legacy-smtp-77"') WHERE name = 'sealed'`,
    );
    expect((await findRealm(server.db, 'sealed'))!.doc.smtpServer).toMatchObject({
      password: 'legacy-smtp-77',
    });
    expect(await sealClearRealmSecrets(server.db)).toEqual(['sealed']);
    expect(await sealClearRealmSecrets(server.db)).toEqual([]);
    expect(await rawRow()).not.toContain('legacy-smtp-77');
    expect((await findRealm(server.db, 'sealed'))!.doc.smtpServer).toMatchObject({
      password: 'legacy-smtp-77',
    });

    // The identity provider's sealed secret copied over the SMTP password: bound to its field, it does not open.
    await server.db.query(
      `UPDATE realms SET representation = jsonb_set(representation, '{smtpServer,password}', representation #> '{identityProviders,0,config,clientSecret}') WHERE name = 'sealed'`,
    );
    await expect(findRealm(server.db, 'sealed')).rejects.toThrow(RealmSecretError);
    await expect(findRealm(server.db, 'sealed')).rejects.toThrow(
      /realm sealed: smtpServer\/password cannot be decrypted/,
    );
    // ...and the start's sealing pass leaves it (with a clear value too) as it is instead of failing.
    await server.db.query(
      `UPDATE realms SET representation = jsonb_set(representation, '{identityProviders,0,config,clientSecret}', '"clear-again"') WHERE name = 'sealed'`,
    );
    expect(await sealClearRealmSecrets(server.db)).toEqual([]);
    // The damaged realm does not hide the others from a listing (the registry loads every realm from it).
    const listed = await listRealms(server.db);
    expect(listed.map((r) => r.name)).toEqual(['master', 'sealed']);
    expect(listed.find((r) => r.name === 'master')!.doc.realm).toBe('master');
  });
});

describe('upgrade: the process seals clear secrets when it opens the store', () => {
  it('`events verify` (any command that opens the store) leaves no clear secret in the row', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-upgrade-'));
    try {
      const server = await startServer({
        dataDir,
        realms: [{ realm: 'legacy', clients: [{ clientId: 'svc', secret: 'sealed-by-import' }] }],
      });
      // As a version before sealing left it: the secret in clear.
      await server.db.query(
        `UPDATE realms SET representation = jsonb_set(representation, '{smtpServer}', '{"password": "old-clear-smtp"}') WHERE name = 'legacy'`,
      );
      await server.stop();
      await promisify(execFile)(
        process.execPath,
        [path.join(REPO, 'src', 'main.ts'), 'events', 'verify'],
        {
          cwd: REPO,
          env: {
            ...process.env,
            DATA_DIR: dataDir,
            DATABASE_URL: '',
            KEY_ENCRYPTION_KEY: server.config.keyEncryptionKey.toString('base64'),
            LOG_LEVEL: 'silent',
          },
        },
      );
      const db = await openSqlClient({ dataDir, keyEncryptionKey: server.config.keyEncryptionKey });
      try {
        const [{ text }] = await db.query<{ text: string }>(
          "SELECT representation::text AS text FROM realms WHERE name = 'legacy'",
        );
        expect(text).not.toContain('old-clear-smtp');
        expect((await findRealm(db, 'legacy'))!.doc.smtpServer).toEqual({
          password: 'old-clear-smtp',
        });
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
