/**
 * Export (issue 18 item 5): every realm file in test/fixtures/keycloak-realms (copied from ../shared/fixtures) imported into one
 * store, exported as `kc.sh export --dir D --users different_files` lays it out (Keycloak
 * MultipleStepsExportProvider: `<realm>-realm.json` plus `<realm>-users-<N>.json` of
 * `{"realm", "users"}`), imported into a fresh store with `import --dir`'s rules, and compared: the
 * same clients (secrets included), roles, groups, client scopes with mappers, users with their
 * role and group mappings and password hashes; the users log in with the passwords the fixtures
 * README names. The CLI writes the same files (mode 0600); `--file` without `--realm` writes a
 * JSON array of realms (Keycloak SingleFileExportProvider.exportModel).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FIXTURES, REPO, startServer, type TestServer } from '../helpers/server.ts';
import { importRealmFiles, keycloakDirFiles } from '../../src/realm/partitions.ts';
import { exportRealm, realmNames } from '../../src/realm/export.ts';
import { writeExport } from '../../src/realm/export-files.ts';
import { KEY_PROVIDER_TYPE } from '../../src/keys/component-model.ts';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { failure } from '../helpers/admin.ts';

const scratch: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
const fixture = (name: string) => path.join(FIXTURES, name);
const fixtureJson = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8'));

/**
 * The three quickstart files all name realm "quickstart": two are renamed so that one store holds
 * all nine files (a PGlite store per file would cost a minute).
 */
function fixtureFiles(): string[] {
  const dir = tempDir('qsign-export-in-');
  const renamed = [
    ['quickstarts-nodejs-resource-server.json', 'quickstart-nodejs'],
    ['quickstarts-spring-rest-authz-resource-server.json', 'quickstart-spring'],
  ].map(([name, realm]) => {
    const file = path.join(dir, `${realm}.json`);
    writeFileSync(file, JSON.stringify({ ...fixtureJson(name), realm }));
    return file;
  });
  const others = readdirSync(FIXTURES)
    .filter(
      (f) =>
        f.endsWith('.json') &&
        !f.startsWith('quickstarts-nodejs') &&
        !f.startsWith('quickstarts-spring'),
    )
    .map(fixture);
  return [...others, ...renamed];
}

type Loose = Record<string, unknown>;
/**
 * The view compared across the round trip: everything but what a re-import makes anew: the key
 * providers' keys (compared by name, provider and algorithm) and a credential's row id and date.
 */
function normalised(rep: Loose): Loose {
  const components = { ...(rep.components as Record<string, Loose[]>) };
  components[KEY_PROVIDER_TYPE] = (components[KEY_PROVIDER_TYPE] ?? [])
    .map((c) => ({
      name: c.name,
      providerId: c.providerId,
      algorithm: (c.config as Loose).algorithm,
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const users = (rep.users as Loose[]).map((u) => ({
    ...u,
    credentials: (u.credentials as Loose[]).map(({ id: _id, createdDate: _d, ...c }) => c),
  }));
  return { ...rep, components, users };
}

const run = promisify(execFile);
const KEK = Buffer.alloc(32, 7).toString('base64');

async function token(
  baseUrl: string,
  realm: string,
  form: Record<string, string>,
  auth?: [string, string],
) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth) headers.authorization = `Basic ${Buffer.from(auth.join(':')).toString('base64')}`;
  const res = await fetch(`${baseUrl}/realms/${realm}/protocol/openid-connect/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Loose };
}

describe('realm export: kc.sh export layout and round trip of the Keycloak fixtures', () => {
  let source: TestServer;
  let target: TestServer;
  const exportDir = tempDir('qsign-export-dir-');
  const before: Record<string, Loose> = {};
  let sourceStopped = false;

  beforeAll(async () => {
    source = await startServer();
    // The master realm too (its admin drives the admin API on the re-imported store).
    await importRealmFiles(
      source.db,
      source.config.keyEncryptionKey,
      [path.join(REPO, 'realms', 'master.json'), ...fixtureFiles()],
      {
        env: {
          KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
          KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin-test-password',
        },
      },
    );
    for (const name of await realmNames(source.db))
      before[name] = (await exportRealm(source.db, name, { users: true })) as Loose;
    await writeExport(source.db, { dir: exportDir, users: 'different_files', usersPerFile: 2 });
    target = await startServer();
    await importRealmFiles(
      target.db,
      target.config.keyEncryptionKey,
      await keycloakDirFiles(exportDir),
      { env: {} },
    );
  }, 240_000);
  afterAll(async () => {
    await Promise.all([
      sourceStopped
        ? rmSync(source.config.dataDir, { recursive: true, force: true })
        : source?.close(),
      target?.close(),
    ]);
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it('writes <realm>-realm.json without users and <realm>-users-N.json of 2 users each, mode 0600', () => {
    const files = readdirSync(exportDir).sort();
    expect(Object.keys(before).sort()).toEqual([
      'CX-Central',
      'Test',
      'adaptive',
      'authority-portal',
      'device-flow-quickstart',
      'master',
      'quickstart',
      'quickstart-nodejs',
      'quickstart-spring',
    ]);
    for (const realm of Object.keys(before)) expect(files).toContain(`${realm}-realm.json`);
    // Test: 3 users (test, testadminuser, service-account-test-client) in 2 partitions.
    expect(files.filter((f) => f.startsWith('Test-users-'))).toEqual([
      'Test-users-0.json',
      'Test-users-1.json',
    ]);
    const realmFile = JSON.parse(readFileSync(path.join(exportDir, 'Test-realm.json'), 'utf8'));
    expect(realmFile.realm).toBe('Test');
    expect(realmFile.users).toBeUndefined();
    const users0 = JSON.parse(readFileSync(path.join(exportDir, 'Test-users-0.json'), 'utf8'));
    expect(Object.keys(users0).sort()).toEqual(['realm', 'users']);
    expect(users0.realm).toBe('Test');
    expect(users0.users).toHaveLength(2);
    for (const f of files) expect(statSync(path.join(exportDir, f)).mode & 0o777).toBe(0o600);
  });

  it("users carry passwords in Keycloak's secretData / credentialData form, and confidential clients their secrets in clear", () => {
    const test = before.Test;
    const user = (test.users as Loose[]).find((u) => u.username === 'test')!;
    const [cred] = user.credentials as Loose[];
    expect(cred.type).toBe('password');
    // Test-users-0.json: pbkdf2-sha512, 210,000 iterations (fixtures README).
    expect(JSON.parse(cred.credentialData as string)).toMatchObject({
      algorithm: 'pbkdf2-sha512',
      hashIterations: 210000,
    });
    expect(JSON.parse(cred.secretData as string)).toMatchObject({
      value: expect.any(String),
      salt: expect.any(String),
    });
    const secret = fixtureJson('authservices-dotnet-Test-realm-kc24.0.3.json').clients.find(
      (c: Loose) => c.clientId === 'test-client',
    ).secret;
    expect((test.clients as Loose[]).find((c) => c.clientId === 'test-client')!.secret).toBe(
      secret,
    );
    expect(
      (test.users as Loose[]).find((u) => u.username === 'service-account-test-client')!
        .serviceAccountClientId,
    ).toBe('test-client');
  });

  it('a generated RSA key provider carries its private key as Keycloak exports it (base64 PKCS#8, no armour): the key /certs publishes', async () => {
    const providers = (before.Test.components as Record<string, Loose[]>)[KEY_PROVIDER_TYPE];
    const rsa = providers.find((c) => c.providerId === 'rsa-generated')!;
    const privateKey = ((rsa.config as Loose).privateKey as string[])[0];
    expect(privateKey).not.toContain('-----BEGIN');
    const jwk = createPublicKey(
      createPrivateKey({ key: Buffer.from(privateKey, 'base64'), format: 'der', type: 'pkcs8' }),
    ).export({ format: 'jwk' });
    const certs = (await (
      await fetch(`${source.baseUrl}/realms/Test/protocol/openid-connect/certs`)
    ).json()) as { keys: { kty: string; n?: string }[] };
    expect(certs.keys.filter((k) => k.kty === 'RSA').map((k) => k.n)).toContain(jwk.n);
    // Every sealed secret is opened for the file.
    expect(JSON.stringify(before)).not.toContain('qsign-sealed:');
  });

  it('the re-import of the export is the same realm: clients, roles, groups, scopes and mappers, users and their mappings', async () => {
    for (const name of Object.keys(before)) {
      const after = (await exportRealm(target.db, name, { users: true })) as Loose;
      expect(normalised(after), name).toEqual(normalised(before[name]));
    }
    // The sovity groups survive with their subgroups and role mappings.
    expect(JSON.stringify(before['authority-portal'].groups as Loose[])).toContain(
      'Participant Admin',
    );
  });

  it("users of the re-imported realms log in with the fixtures' known passwords, with their roles", async () => {
    const base = target.baseUrl;
    expect(
      (
        await token(base, 'quickstart', {
          grant_type: 'password',
          client_id: 'spa',
          username: 'alice',
          password: 'alice',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await token(base, 'quickstart-nodejs', {
          grant_type: 'password',
          client_id: 'test-cli',
          username: 'alice',
          password: 'alice',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await token(
          base,
          'quickstart-spring',
          { grant_type: 'password', username: 'jdoe', password: 'jdoe' },
          ['authz-servlet', 'secret'],
        )
      ).status,
    ).toBe(200);
    const secret = fixtureJson('authservices-dotnet-Test-realm-kc24.0.3.json').clients.find(
      (c: Loose) => c.clientId === 'test-client',
    ).secret as string;
    const test = await token(
      base,
      'Test',
      { grant_type: 'password', username: 'test', password: 'test' },
      ['test-client', secret],
    );
    expect(test.status).toBe(200);
    const claims = JSON.parse(
      Buffer.from((test.body.access_token as string).split('.')[1], 'base64url').toString(),
    ) as { realm_access: { roles: string[] } };
    expect(claims.realm_access.roles).toContain('Reader');
    expect(
      (
        await token(
          base,
          'Test',
          { grant_type: 'password', username: 'testadminuser', password: 'test' },
          ['test-client', secret],
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await token(
          base,
          'Test',
          { grant_type: 'password', username: 'test', password: 'not-test' },
          ['test-client', secret],
        )
      ).status,
    ).toBe(401);
    const service = await token(base, 'Test', { grant_type: 'client_credentials' }, [
      'test-client',
      secret,
    ]);
    expect(service.status).toBe(200);
  });

  it('partial-export (keycloak-admin-client realms.export): clients with secrets masked, roles and groups, service accounts, no users; secret key config masked', async () => {
    const kc = new KcAdminClient({ baseUrl: target.baseUrl, realmName: 'master' });
    await kc.auth({
      username: 'admin',
      password: 'admin-test-password',
      grantType: 'password',
      clientId: 'admin-cli',
    });
    const rep = (await kc.realms.export({
      realm: 'Test',
      exportClients: true,
      exportGroupsAndRoles: true,
    })) as Loose;
    const clients = rep.clients as Loose[];
    // Keycloak StripSecretsUtils: ComponentRepresentation.SECRET_VALUE.
    expect(clients.find((c) => c.clientId === 'test-client')!.secret).toBe('**********');
    const secret = (before.Test.clients as Loose[]).find((c) => c.clientId === 'test-client')!
      .secret as string;
    expect(JSON.stringify(rep)).not.toContain(secret);
    expect((rep.roles as { realm: Loose[] }).realm.map((r) => r.name)).toContain('Reader');
    // Service accounts are exported with the clients (RealmAdminResource.partialExport); other users never.
    expect((rep.users as Loose[]).map((u) => u.username)).toEqual(['service-account-test-client']);
    const rsa = (rep.components as Record<string, Loose[]>)[KEY_PROVIDER_TYPE].find(
      (c) => c.providerId === 'rsa-generated',
    )!;
    expect((rsa.config as Loose).privateKey).toEqual(['**********']);
    // Both flags default to false: no clients, roles or groups.
    const bare = (await kc.realms.export({ realm: 'Test' })) as Loose;
    expect([bare.realm, bare.clients, bare.roles, bare.groups, bare.users]).toEqual([
      'Test',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(bare.clientScopes).toEqual(rep.clientScopes);
    expect((await failure(kc.realms.export({ realm: 'no-such-realm' }))).status).toBe(404);
  });

  it("partialImport (keycloak-admin-client realms.partialImport): FAIL answers 409 with Keycloak's message and writes nothing; new resources are ADDED and their user logs in", async () => {
    const kc = new KcAdminClient({ baseUrl: target.baseUrl, realmName: 'master' });
    await kc.auth({
      username: 'admin',
      password: 'admin-test-password',
      grantType: 'password',
      clientId: 'admin-cli',
    });
    const refused = await failure(
      kc.realms.partialImport({
        realm: 'quickstart',
        rep: {
          roles: { realm: [{ name: 'auditor' }] },
          clients: [{ clientId: 'spa', publicClient: true }],
        } as never,
      }),
    );
    // ClientsPartialImport.existsMessage, ErrorResponse.exists (409).
    expect(refused).toEqual({
      status: 409,
      body: { errorMessage: "Client id 'spa' already exists" },
    });
    expect((await kc.roles.find({ realm: 'quickstart' })).map((r) => r.name)).not.toContain(
      'auditor',
    );
    const added = await kc.realms.partialImport({
      realm: 'quickstart',
      rep: {
        ifResourceExists: 'FAIL',
        roles: { realm: [{ name: 'auditor' }] },
        groups: [{ name: 'auditors', realmRoles: ['auditor'] }],
        clients: [{ clientId: 'report-cli', publicClient: true, directAccessGrantsEnabled: true }],
        users: [
          {
            username: 'carol',
            enabled: true,
            groups: ['/auditors'],
            credentials: [{ type: 'password', value: 'carol-pw' }],
          },
        ],
      } as never,
    });
    expect([added.added, added.skipped, added.overwritten]).toEqual([4, 0, 0]);
    expect(added.results!.map((r) => [r.action, r.resourceType, r.resourceName])).toEqual([
      ['ADDED', 'CLIENT', 'report-cli'],
      ['ADDED', 'REALM_ROLE', 'auditor'],
      ['ADDED', 'GROUP', 'auditors'],
      ['ADDED', 'USER', 'carol'],
    ]);
    expect(added.results!.every((r) => typeof r.id === 'string')).toBe(true);
    const carol = await token(target.baseUrl, 'quickstart', {
      grant_type: 'password',
      client_id: 'report-cli',
      username: 'carol',
      password: 'carol-pw',
    });
    expect(carol.status).toBe(200);
    const claims = JSON.parse(
      Buffer.from((carol.body.access_token as string).split('.')[1], 'base64url').toString(),
    ) as { realm_access: { roles: string[] } };
    expect(claims.realm_access.roles).toContain('auditor');
  });

  it("partialImport stores the users' clientConsents (UsersPartialImport.create → RepresentationToModel.createUser adds them); a consent for an unknown client is a 400", async () => {
    const kc = new KcAdminClient({ baseUrl: target.baseUrl, realmName: 'master' });
    await kc.auth({
      username: 'admin',
      password: 'admin-test-password',
      grantType: 'password',
      clientId: 'admin-cli',
    });
    const consent = {
      clientId: 'spa',
      grantedClientScopes: ['profile', 'email'],
      createdDate: 1_700_000_000_000,
      lastUpdatedDate: 1_700_000_001_000,
    };
    const bad = await failure(
      kc.realms.partialImport({
        realm: 'quickstart',
        rep: {
          users: [{ username: 'erin', clientConsents: [{ ...consent, clientId: 'no-such' }] }],
        } as never,
      }),
    );
    expect(bad.status).toBe(400);
    expect(await kc.users.find({ realm: 'quickstart', username: 'erin', exact: true })).toEqual([]);
    const added = await kc.realms.partialImport({
      realm: 'quickstart',
      rep: { users: [{ username: 'dave', enabled: true, clientConsents: [consent] }] } as never,
    });
    expect(added.added).toBe(1);
    const [dave] = await kc.users.find({ realm: 'quickstart', username: 'dave', exact: true });
    const consents = await kc.users.listConsents({ realm: 'quickstart', id: dave.id! });
    expect(consents).toHaveLength(1);
    expect(consents[0]).toMatchObject({
      clientId: 'spa',
      createdDate: consent.createdDate,
      lastUpdatedDate: consent.lastUpdatedDate,
    });
    expect([...(consents[0].grantedClientScopes as unknown as string[])].sort()).toEqual([
      'email',
      'profile',
    ]);
  });

  it('partialImport SKIP keeps an existing user; OVERWRITE replaces it (new password); a bad reference is a 400 and writes nothing', async () => {
    const kc = new KcAdminClient({ baseUrl: target.baseUrl, realmName: 'master' });
    await kc.auth({
      username: 'admin',
      password: 'admin-test-password',
      grantType: 'password',
      clientId: 'admin-cli',
    });
    const alice = {
      username: 'alice',
      enabled: true,
      realmRoles: ['user'],
      credentials: [{ type: 'password', value: 'alice-2' }],
    };
    // UsersPartialImport.existsMessage, GroupsPartialImport.existsMessage (the group's path).
    expect(
      (
        await failure(
          kc.realms.partialImport({
            realm: 'quickstart',
            rep: { ifResourceExists: 'FAIL', users: [alice] } as never,
          }),
        )
      ).body,
    ).toEqual({ errorMessage: 'User with user name alice already exists.' });
    expect(
      (
        await failure(
          kc.realms.partialImport({
            realm: 'quickstart',
            rep: { ifResourceExists: 'FAIL', groups: [{ name: 'auditors' }] } as never,
          }),
        )
      ).body,
    ).toEqual({ errorMessage: "Group '/auditors' already exists" });
    const skipped = await kc.realms.partialImport({
      realm: 'quickstart',
      rep: { ifResourceExists: 'SKIP', users: [alice] } as never,
    });
    expect([skipped.skipped, skipped.results![0].action]).toEqual([1, 'SKIPPED']);
    expect(
      (
        await token(target.baseUrl, 'quickstart', {
          grant_type: 'password',
          client_id: 'spa',
          username: 'alice',
          password: 'alice',
        })
      ).status,
    ).toBe(200);
    const bad = await failure(
      kc.realms.partialImport({
        realm: 'quickstart',
        rep: {
          ifResourceExists: 'OVERWRITE',
          users: [alice, { username: 'dave', realmRoles: ['no-such-role'] }],
        } as never,
      }),
    );
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('no-such-role');
    expect(
      (
        await token(target.baseUrl, 'quickstart', {
          grant_type: 'password',
          client_id: 'spa',
          username: 'alice',
          password: 'alice',
        })
      ).status,
    ).toBe(200);
    const overwritten = await kc.realms.partialImport({
      realm: 'quickstart',
      rep: { ifResourceExists: 'OVERWRITE', users: [alice] } as never,
    });
    expect([overwritten.overwritten, overwritten.results![0].action]).toEqual([1, 'OVERWRITTEN']);
    expect(
      (
        await token(target.baseUrl, 'quickstart', {
          grant_type: 'password',
          client_id: 'spa',
          username: 'alice',
          password: 'alice-2',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await failure(
          kc.realms.partialImport({
            realm: 'quickstart',
            rep: { ifResourceExists: 'MERGE' } as never,
          }),
        )
      ).status,
    ).toBe(400);
    expect(
      await failure(
        kc.realms.partialImport({
          realm: 'quickstart',
          rep: { ifResourceExists: 'SKIP', clients: [null] } as never,
        }),
      ),
    ).toEqual({
      status: 400,
      body: { field: 'clients[0]', errorMessage: 'clients[0]: must be an object' },
    });
    expect(
      (
        await failure(
          kc.realms.partialImport({
            realm: 'quickstart',
            rep: { ifResourceExists: 'SKIP', roles: { realm: 'x' } } as never,
          }),
        )
      ).status,
    ).toBe(400);
  });

  it('a partial export imports into another realm through partialImport: clients, roles and groups arrive; a masked secret becomes a new one', async () => {
    const kc = new KcAdminClient({ baseUrl: target.baseUrl, realmName: 'master' });
    await kc.auth({
      username: 'admin',
      password: 'admin-test-password',
      grantType: 'password',
      clientId: 'admin-cli',
    });
    const exported = (await kc.realms.export({
      realm: 'authority-portal',
      exportClients: true,
      exportGroupsAndRoles: true,
    })) as Loose;
    await kc.realms.create({ realm: 'portal-copy', enabled: true });
    const own = new Set((await kc.clients.find({ realm: 'portal-copy' })).map((c) => c.clientId));
    const clients = (exported.clients as Loose[]).filter((c) => !own.has(c.clientId as string));
    const ownRoles = new Set((await kc.roles.find({ realm: 'portal-copy' })).map((r) => r.name));
    const roles = exported.roles as { realm: Loose[]; client: Record<string, Loose[]> };
    const result = await kc.realms.partialImport({
      realm: 'portal-copy',
      rep: {
        ifResourceExists: 'SKIP',
        clients,
        groups: exported.groups as never,
        roles: {
          realm: roles.realm.filter((r) => !ownRoles.has(r.name as string)),
          client: Object.fromEntries(Object.entries(roles.client).filter(([id]) => !own.has(id))),
        },
      } as never,
    });
    expect(result.added).toBeGreaterThan(clients.length);
    const copied = (
      await kc.clients.find({ realm: 'portal-copy', clientId: 'authority-portal-client' })
    )[0];
    const secret = await kc.clients.getClientSecret({ realm: 'portal-copy', id: copied.id! });
    expect(secret.value).toEqual(expect.any(String));
    expect(secret.value).not.toBe('**********');
    expect(secret.value).not.toBe(
      (before['authority-portal'].clients as Loose[]).find(
        (c) => c.clientId === 'authority-portal-client',
      )!.secret,
    );
    // Its service account came with it (Keycloak's createClient makes one).
    expect(
      (
        await token(target.baseUrl, 'portal-copy', { grant_type: 'client_credentials' }, [
          'authority-portal-client',
          secret.value!,
        ])
      ).status,
    ).toBe(200);
    const groups = await kc.groups.find({ realm: 'portal-copy' });
    expect(groups.map((g) => g.name).sort()).toEqual(
      (before['authority-portal'].groups as Loose[]).map((g) => g.name).sort(),
    );
  });

  it('--file without --realm writes a JSON array of every realm; with --realm one object', async () => {
    const all = path.join(tempDir('qsign-export-file-'), 'all.json');
    await writeExport(target.db, { file: all });
    const reps = JSON.parse(readFileSync(all, 'utf8')) as Loose[];
    // (portal-copy: made by the partialImport test above.)
    expect(reps.map((r) => r.realm)).toEqual([...Object.keys(before), 'portal-copy'].sort());
    const one = path.join(path.dirname(all), 'one.json');
    await writeExport(target.db, { file: one, realm: 'Test' });
    const rep = JSON.parse(readFileSync(one, 'utf8')) as Loose;
    expect(rep.realm).toBe('Test');
    expect((rep.users as Loose[]).map((u) => u.username).sort()).toEqual([
      'service-account-test-client',
      'test',
      'testadminuser',
    ]);
    await expect(writeExport(target.db, { file: one, users: 'different_files' })).rejects.toThrow(
      'needs --dir',
    );
  });

  it('`npm start -- export --dir D --realm Test --users same_file` writes the realm file and one users file', async () => {
    await source.stop();
    sourceStopped = true;
    const dir = tempDir('qsign-export-cli-');
    const { stdout } = await run(
      process.execPath,
      ['src/main.ts', 'export', '--realm', 'Test', '--dir', dir, '--users', 'same_file'],
      {
        cwd: REPO,
        env: {
          ...process.env,
          DATA_DIR: source.config.dataDir,
          KEY_ENCRYPTION_KEY: KEK,
          LOG_LEVEL: 'silent',
        },
      },
    );
    expect(stdout).toContain('Test-users-0.json');
    expect(readdirSync(dir).sort()).toEqual(['Test-realm.json', 'Test-users-0.json']);
    expect(
      JSON.parse(readFileSync(path.join(dir, 'Test-users-0.json'), 'utf8')).users,
    ).toHaveLength(3);
    expect(JSON.parse(readFileSync(path.join(dir, 'Test-realm.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(path.join(exportDir, 'Test-realm.json'), 'utf8')),
    );
    const unknown = await run(
      process.execPath,
      ['src/main.ts', 'export', '--realm', 'nope', '--dir', dir],
      {
        cwd: REPO,
        env: {
          ...process.env,
          DATA_DIR: source.config.dataDir,
          KEY_ENCRYPTION_KEY: KEK,
          LOG_LEVEL: 'silent',
        },
      },
    ).catch((err: { code: number; stderr: string }) => err);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('realm nope not found'),
    });
  }, 60_000);
});
