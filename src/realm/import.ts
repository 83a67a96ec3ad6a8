/**
 * Realm import from Keycloak's RealmRepresentation JSON (the `kc.sh export` / realm-import
 * format). Order: parse JSON -> resolve `${VAR:default}` placeholders -> validate shape (zod) ->
 * add Keycloak's built-in clients and roles -> check cross references -> hash clear-text passwords
 * (argon2id) -> write everything in ONE transaction. A file that fails any step writes nothing and
 * raises `RealmImportError` naming the file, each JSON path and the reason.
 *
 * An existing realm of the same name is skipped (Keycloak's `--import-realm` behaviour) unless
 * `override` is set (Keycloak's `kc.sh import --override true`), which replaces it whole.
 */
import { QsignError } from '../errors.ts';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';
import { findRealm, deleteRealm, insertRealm } from '../store/realms.ts';
import { insertUser, type StoredUser } from '../store/users.ts';
import { insertConsent, type StoredConsent } from '../store/consents.ts';
import { consentProblems, userConsents, withoutConsents } from './import-consents.ts';
import type { NewOtpCredential } from '../store/credentials.ts';
import { parseCredentialData } from '../model/otp.ts';
import { createRealmKeys, plannedKeyAlgs, readRealmKeyBackends } from '../keys/realm-keys.ts';
import { Backends } from '../signer/backends.ts';
import { keySpecsFromComponents } from '../keys/components.ts';
import { KEY_PROVIDER_TYPE } from '../keys/providers.ts';
import { resolvePlaceholders, PlaceholderError } from '../model/placeholders.ts';
import {
  realmFileSchema,
  type CredentialRepresentation,
  type GroupRepresentation,
  type RealmDocument,
  type RealmRepresentation,
} from '../model/representation.ts';
import { serviceAccountUser, withDefaultRole, withKeycloakDefaults } from './defaults.ts';
import { withLegacyRealmKey } from './legacy-keys.ts';
import { defaultSignatureAlgorithm } from '../config.ts';
import { clientUriProblems } from './client-uris.ts';
import { RealmModel } from '../model/model.ts';
import { hashPassword, SUPPORTED_HASH_ALGORITHMS, type StoredPassword } from '../model/password.ts';
import { isSupportedAlg } from '../jose/algorithms.ts';
import { assertJsonDepth, JsonDepthError, MAX_JSON_DEPTH } from '../json-depth.ts';

export interface ImportProblem {
  path: string;
  reason: string;
}

export class RealmImportError extends QsignError {
  readonly source: string;
  readonly problems: ImportProblem[];
  constructor(source: string, problems: ImportProblem[]) {
    super(
      'ERR_REALM_IMPORT',
      `${source}: realm rejected, nothing imported\n${problems.map((p) => `  at ${p.path || '(root)'}: ${p.reason}`).join('\n')}`,
    );
    this.name = 'RealmImportError';
    this.source = source;
    this.problems = problems;
  }
}

/** JSON path in the form `clients[2].redirectUris[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) =>
      typeof p === 'number'
        ? `[${p}]`
        : /^[A-Za-z_$][\w$]*$/.test(String(p))
          ? `${i ? '.' : ''}${String(p)}`
          : `[${JSON.stringify(String(p))}]`,
    )
    .join('');
}

const PKCE_METHODS = new Set(['', 'S256', 'plain']);

/** Duplicate clientIds, bad redirect URIs, PKCE methods and signing algs without an active key. */
function clientProblems(rep: RealmRepresentation, SIGNING_ALGS: Set<string>): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const seenClients = new Set<string>();
  rep.clients.forEach((client, i) => {
    if (seenClients.has(client.clientId))
      problems.push({
        path: `clients[${i}].clientId`,
        reason: `duplicate clientId "${client.clientId}"`,
      });
    seenClients.add(client.clientId);
    problems.push(...clientUriProblems(client, i));
    const attrs = client.attributes;
    const pkce = attrs['pkce.code.challenge.method'];
    if (pkce !== undefined && !PKCE_METHODS.has(pkce))
      problems.push({
        path: `clients[${i}].attributes["pkce.code.challenge.method"]`,
        reason: `must be "S256" or "plain", got "${pkce}"`,
      });
    for (const attr of ['access.token.signed.response.alg', 'id.token.signed.response.alg']) {
      const alg = attrs[attr];
      if (alg && !SIGNING_ALGS.has(alg))
        problems.push({
          path: `clients[${i}].attributes["${attr}"]`,
          reason: `the realm has no active key for alg "${alg}" (available: ${[...SIGNING_ALGS].join(', ')})`,
        });
    }
  });
  return problems;
}

/** Client roles of unknown clients; realm composites naming unknown realm roles. */
function roleProblems(rep: RealmRepresentation, model: RealmModel): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const clientId of Object.keys(rep.roles.client)) {
    if (!model.client(clientId))
      problems.push({
        path: `roles.client[${JSON.stringify(clientId)}]`,
        reason: `client "${clientId}" does not exist`,
      });
  }
  rep.roles.realm.forEach((role, i) => {
    const c = role.composites;
    if (!c) return;
    (c.realm ?? []).forEach((name, j) => {
      if (!model.hasRealmRole(name))
        problems.push({
          path: `roles.realm[${i}].composites.realm[${j}]`,
          reason: `realm role "${name}" does not exist`,
        });
    });
  });
  return problems;
}

/** Duplicate usernames; users naming unknown roles, groups, clients; unusable credentials. */
function userProblems(rep: RealmRepresentation, model: RealmModel): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const seenUsers = new Set<string>();
  rep.users.forEach((user, i) => {
    if (seenUsers.has(user.username))
      problems.push({
        path: `users[${i}].username`,
        reason: `duplicate username "${user.username}"`,
      });
    seenUsers.add(user.username);
    problems.push(...roleRefProblems(model, `users[${i}]`, user.realmRoles, user.clientRoles));
    user.groups.forEach((g, j) => {
      if (!model.group(g))
        problems.push({ path: `users[${i}].groups[${j}]`, reason: `group "${g}" does not exist` });
    });
    if (user.serviceAccountClientId && !model.client(user.serviceAccountClientId)) {
      problems.push({
        path: `users[${i}].serviceAccountClientId`,
        reason: `client "${user.serviceAccountClientId}" does not exist`,
      });
    }
    user.credentials.forEach((cred, j) => {
      const reason = credentialProblem(cred);
      if (reason) problems.push({ path: `users[${i}].credentials[${j}]`, reason });
    });
  });
  return problems;
}

/** The role references of a user (`base` its path) to roles or clients the realm lacks. */
function roleRefProblems(
  model: RealmModel,
  base: string,
  realmRoles: string[] = [],
  clientRoles: Record<string, string[]> = {},
): ImportProblem[] {
  const problems: ImportProblem[] = [];
  realmRoles.forEach((name, j) => {
    if (!model.hasRealmRole(name))
      problems.push({
        path: `${base}.realmRoles[${j}]`,
        reason: `realm role "${name}" does not exist`,
      });
  });
  for (const [clientId, names] of Object.entries(clientRoles)) {
    if (!model.client(clientId)) {
      problems.push({
        path: `${base}.clientRoles[${JSON.stringify(clientId)}]`,
        reason: `client "${clientId}" does not exist`,
      });
      continue;
    }
    names.forEach((name, j) => {
      if (!model.hasClientRole(clientId, name))
        problems.push({
          path: `${base}.clientRoles[${JSON.stringify(clientId)}][${j}]`,
          reason: `role "${name}" of client "${clientId}" does not exist`,
        });
    });
  }
  return problems;
}

function checkReferences(rep: RealmRepresentation): ImportProblem[] {
  const { specs, problems } = keySpecsFromComponents(rep.components);
  // Algorithms the realm will have an ACTIVE asymmetric key for.
  const SIGNING_ALGS = new Set(
    plannedKeyAlgs(specs, rep.defaultSignatureAlgorithm)
      .filter((p) => (p.spec?.status ?? 'ACTIVE') === 'ACTIVE' && !p.alg.startsWith('HS'))
      .map((p) => p.alg),
  );
  const model = new RealmModel({ ...rep, id: 'check' });
  problems.push(...clientProblems(rep, SIGNING_ALGS));
  if (
    !isSupportedAlg(rep.defaultSignatureAlgorithm) ||
    rep.defaultSignatureAlgorithm.startsWith('HS')
  ) {
    problems.push({
      path: 'defaultSignatureAlgorithm',
      reason: `"${rep.defaultSignatureAlgorithm}" is not a supported signing algorithm`,
    });
  }
  problems.push(...roleProblems(rep, model));
  problems.push(...userProblems(rep, model));
  return problems;
}

function credentialProblem(cred: CredentialRepresentation): string | undefined {
  if (cred.type === 'otp')
    return otpFromCredential(cred)
      ? undefined
      : 'an otp credential needs "secretData" {"value": ...} and a "credentialData" of a totp or hotp code (HmacSHA1/256/512, 6 to 8 digits)';
  if (cred.type !== 'password') return undefined;
  if (cred.value !== undefined) return undefined;
  try {
    const stored = storedFromHashed(cred);
    if (!stored) return 'a password credential needs "value", or "secretData" and "credentialData"';
    if (!SUPPORTED_HASH_ALGORITHMS.has(stored.credentialData.algorithm))
      return `unsupported password hash algorithm "${stored.credentialData.algorithm}"`;
  } catch {
    return '"secretData" and "credentialData" must be JSON strings';
  }
  return undefined;
}

/** An `otp` credential of a realm file (Keycloak's OTPSecretData / OTPCredentialData JSON strings), or undefined when unusable. */
function otpFromCredential(cred: CredentialRepresentation): NewOtpCredential | undefined {
  try {
    const secret = JSON.parse(cred.secretData ?? 'null')?.value;
    const data = parseCredentialData(JSON.parse(cred.credentialData ?? 'null'));
    if (typeof secret !== 'string' || !secret || !data) return undefined;
    const label = (cred as { userLabel?: unknown }).userLabel;
    const created = (cred as { createdDate?: unknown }).createdDate;
    return {
      secret,
      data,
      userLabel: typeof label === 'string' ? label : undefined,
      createdDate: typeof created === 'number' ? created : undefined,
    };
  } catch {
    return undefined;
  }
}

function storedFromHashed(cred: CredentialRepresentation): StoredPassword | undefined {
  if (cred.secretData && cred.credentialData) {
    return {
      secretData: JSON.parse(cred.secretData),
      credentialData: JSON.parse(cred.credentialData),
    };
  }
  if (cred.hashedSaltedValue && cred.salt) {
    return {
      secretData: { value: cred.hashedSaltedValue, salt: cred.salt },
      credentialData: {
        hashIterations: cred.hashIterations ?? 27500,
        algorithm: cred.algorithm ?? 'pbkdf2-sha256',
      },
    };
  }
  return undefined;
}

const nestsTooDeep = (value: unknown, max: number): boolean => {
  try {
    assertJsonDepth(value, max);
    return false;
  } catch (err) {
    if (err instanceof JsonDepthError) return true;
    throw err;
  }
};

/**
 * A realm nested deeper than MAX_JSON_DEPTH (json-depth.ts), at the top-level field that holds the
 * deep part (or the root). Keycloak's own realm exports nest less than 12 levels.
 */
function depthProblem(json: unknown): ImportProblem | undefined {
  if (!nestsTooDeep(json, MAX_JSON_DEPTH)) return undefined;
  const field =
    json && typeof json === 'object'
      ? Object.entries(json).find(([, value]) => nestsTooDeep(value, MAX_JSON_DEPTH - 1))?.[0]
      : undefined;
  const at = field === undefined ? '' : formatPath([Array.isArray(json) ? Number(field) : field]);
  return {
    path: at,
    reason: `JSON is nested deeper than ${MAX_JSON_DEPTH} levels (objects and arrays); a realm file nests far less`,
  };
}

/**
 * Validates a parsed realm JSON value. Pure: no I/O.
 * `env`: the operator's environment, for DEFAULT_SIGNATURE_ALGORITHM and, when `placeholders` is
 * true (realm files, as Keycloak's `--import-realm`), for `${VAR}` placeholders. A realm that
 * arrives through the admin API passes false: Keycloak's admin REST takes `${...}` literally, and
 * resolving it would let an administrator read the server's environment (docs/trust-model.md).
 * @throws RealmImportError with every problem found; a value nested deeper than MAX_JSON_DEPTH
 *   (json-depth.ts) with that one problem, before any other check.
 */
export function parseRealm(
  json: unknown,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
  placeholders = true,
): RealmRepresentation {
  // Before any recursive step (placeholders, zod): a 100k-deep file overflowed the stack (RangeError).
  const tooDeep = depthProblem(json);
  if (tooDeep) throw new RealmImportError(source, [tooDeep]);
  let resolved: unknown = json;
  try {
    if (placeholders) resolved = resolvePlaceholders(json, env);
  } catch (err) {
    if (err instanceof PlaceholderError)
      throw new RealmImportError(source, [{ path: formatPath(err.path), reason: err.message }]);
    throw err;
  }
  const parsed = realmFileSchema.safeParse(resolved);
  if (!parsed.success) {
    throw new RealmImportError(
      source,
      parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), reason: issue.message })),
    );
  }
  const file: RealmRepresentation = {
    ...parsed.data,
    defaultSignatureAlgorithm:
      parsed.data.defaultSignatureAlgorithm ?? defaultSignatureAlgorithm(env),
  };
  const rep = withIds(withKeycloakDefaults(normaliseClients(withLegacyRealmKey(file))));
  const problems = [...checkReferences(rep), ...consentProblems(rep)];
  if (problems.length) throw new RealmImportError(source, problems);
  return rep;
}

/**
 * Clients, roles and groups get ids (Keycloak UUIDs) where the file has none: the admin API
 * addresses them by id. Keycloak's built-in clients (defaults.ts) are added without one.
 */
function withIds(rep: RealmRepresentation): RealmRepresentation {
  const role = <T extends { id?: string }>(r: T): T => ({ ...r, id: r.id ?? randomUUID() });
  const group = (g: GroupRepresentation): GroupRepresentation => ({
    ...g,
    id: g.id ?? randomUUID(),
    subGroups: (g.subGroups ?? []).map(group),
  });
  return {
    ...rep,
    clients: rep.clients.map(role),
    roles: {
      ...rep.roles,
      realm: rep.roles.realm.map(role),
      client: Object.fromEntries(
        Object.entries(rep.roles.client).map(([c, roles]) => [c, roles.map(role)]),
      ),
    },
    groups: rep.groups.map(group),
  };
}

/** Keycloak's RepresentationToModel rules that change other fields. */
function normaliseClients(rep: RealmRepresentation): RealmRepresentation {
  return {
    ...rep,
    clients: rep.clients.map((c) => {
      const client = { ...c, id: c.id ?? randomUUID() };
      // Authorization services need a confidential client with a service account.
      if (client.authorizationServicesEnabled === true)
        Object.assign(client, { serviceAccountsEnabled: true, publicClient: false });
      // An admin-console partial export writes "**********" instead of the secret (Keycloak
      // StripSecretsUtils.stripClient, ComponentRepresentation.SECRET_VALUE): the file has no secret.
      if (client.secret === '**********') delete client.secret;
      // Keycloak generates a secret for confidential clients imported without one.
      if (!client.publicClient && !client.bearerOnly && client.secret === undefined)
        client.secret = randomUUID();
      return client;
    }),
  };
}

/** Reads and validates a realm file. @throws RealmImportError (bad JSON included, with position). */
export async function readRealmFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RealmRepresentation> {
  return parseRealm(await readRealmJson(file), file, env);
}

/** Reads a realm (or users partition, partitions.ts) file as JSON, not yet validated. @throws RealmImportError on bad JSON. */
export async function readRealmJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RealmImportError(file, [
      { path: '', reason: `not valid JSON: ${(err as Error).message}` },
    ]);
  }
}

/**
 * Validated users as stored (id and createdTimestamp filled in) with their password credentials,
 * clear-text ones hashed, and their OTP credentials. As Keycloak's RepresentationToModel
 * (createCredentials): a `temporary` password adds UPDATE_PASSWORD to the user's required actions;
 * `totp` says whether the user has an OTP credential (Keycloak computes it from the credentials).
 */
export async function storedUsers(
  reps: RealmRepresentation['users'],
  now = Date.now(),
): Promise<ImportedUser[]> {
  const users: ImportedUser[] = [];
  for (const { credentials, ...user } of reps) {
    const passwords: StoredPassword[] = [];
    const otps: NewOtpCredential[] = [];
    let temporary = false;
    for (const cred of credentials) {
      if (cred.type === 'otp') otps.push(otpFromCredential(cred)!);
      if (cred.type !== 'password') continue;
      if (cred.temporary === true) temporary = true;
      const stored =
        cred.value !== undefined ? await hashPassword(cred.value) : storedFromHashed(cred)!;
      // Keycloak keeps a credential's createdDate (forceExpiredPasswordChange counts from it).
      const created = (cred as { createdDate?: unknown }).createdDate;
      passwords.push(typeof created === 'number' ? { ...stored, createdDate: created } : stored);
    }
    const requiredActions = temporary
      ? [...new Set([...user.requiredActions, 'UPDATE_PASSWORD'])]
      : user.requiredActions;
    users.push({
      consents: userConsents(user, now),
      user: {
        ...withoutConsents(user),
        requiredActions,
        totp: otps.length > 0,
        credentials: [],
        id: user.id ?? randomUUID(),
        createdTimestamp: user.createdTimestamp ?? now,
      },
      passwords,
      otps,
    });
  }
  return users;
}

/** A user of a realm file, ready for insertUser. */
export interface ImportedUser {
  user: StoredUser;
  passwords: StoredPassword[];
  otps: NewOtpCredential[];
  /** The user's `clientConsents` (realm/import-consents.ts), stored after the user. */
  consents?: StoredConsent[];
}

export interface ImportResult {
  realm: string;
  status: 'created' | 'replaced' | 'skipped';
  users: number;
  clients: number;
}

/**
 * Writes a validated realm. Clear-text passwords are hashed before the transaction starts so the
 * transaction stays short; nothing is written if any statement fails.
 */
export async function importRealm(
  db: SqlClient,
  kek: Buffer,
  rep: RealmRepresentation,
  options: { override?: boolean; backends?: Backends } = {},
): Promise<ImportResult> {
  const existing = await findRealm(db, rep.realm);
  if (existing && !options.override)
    return { realm: rep.realm, status: 'skipped', users: 0, clients: 0 };

  const now = Date.now();
  const users = await storedUsers(rep.users, now);
  // Users of the file hold exactly the roles it lists (RepresentationToModel.createUser adds no
  // default roles). A service account the file lacks is made as Keycloak's
  // RealmManager.setupClientServiceAccountsAndAuthorizationOnImport makes it
  // (ClientManager.enableServiceAccount): with the default role.
  for (const client of rep.clients) {
    if (
      !client.serviceAccountsEnabled ||
      users.some((u) => u.user.serviceAccountClientId === client.clientId)
    )
      continue;
    users.push({
      user: serviceAccountUser(client.clientId, withDefaultRole(rep, []), now),
      passwords: [],
      otps: [],
    });
  }
  // Key providers live in the components table from now on (admin API, rotation); other components stay in the document.
  const { [KEY_PROVIDER_TYPE]: _keyProviders, ...otherComponents } = rep.components ?? {};
  const doc: RealmDocument = {
    ...rep,
    users: [],
    components: otherComponents,
    id: rep.id ?? existing?.id ?? randomUUID(),
  };

  // Back ends (Vault, HSM) are read before the transaction, never inside it (keys/realm-keys.ts).
  const keySpecs = await readRealmKeyBackends(
    db,
    options.backends ?? new Backends(),
    rep.realm,
    keySpecsFromComponents(rep.components).specs,
  );
  await db.transaction(async (tx) => {
    if (existing) await deleteRealm(tx, rep.realm);
    await insertRealm(tx, doc, kek);
    for (const { user, passwords, otps, consents } of users) {
      await insertUser(tx, doc.id, user, passwords, otps);
      for (const consent of consents ?? []) await insertConsent(tx, doc.id, user.id, consent);
    }
    await createRealmKeys(tx, kek, doc.id, keySpecs, rep.defaultSignatureAlgorithm);
  });
  return {
    realm: rep.realm,
    status: existing ? 'replaced' : 'created',
    users: users.length,
    clients: rep.clients.length,
  };
}
