/**
 * `npm start -- keys list|rotate|disable|create --realm R [--alg A]`: the operator's key commands.
 * `create --backend NAME` makes a key on the PKCS#11 token the operator declared under NAME
 * (KEY_BACKENDS_FILE / KEY_BACKENDS; the back end must be declared for the realm). They
 * change the store in one transaction each, with the same guards as the admin API (never the
 * last active key of an alg the realm needs; `disable` refuses a key whose tokens are still valid
 * unless --force, keys/removal-guard.ts), and record `cli` as the actor.
 */
import { CliUsageError } from '../errors.ts';
import { loadConfig } from '../config.ts';
import { openSqlClient, type SqlClient } from '../store/sql.ts';
import { migrate } from '../store/migrations.ts';
import { findRealm, RealmNotFoundError } from '../store/realms.ts';
import { listKeys } from './repository.ts';
import { checkKeyEncryptionKey } from './kek-check.ts';
import { assertRequiredKeys, findComponent, updateKeyProvider } from './providers.ts';
import { randomBytes } from 'node:crypto';
import { BackendRefusedError, Backends } from '../signer/backends.ts';
import { addKeyProvider } from './add-provider.ts';
import { createTokenKey } from '../signer/pkcs11/keygen.ts';
import { PKCS11_ALGS } from '../signer/pkcs11/signer.ts';
import { rotateKey } from './rotation.ts';
import { requiredAlgs } from './required.ts';
import { guardRemoval } from './removal-guard.ts';

export interface KeysOptions {
  realm: string;
  alg?: string;
  kid?: string;
  prePublish?: string;
  retireAfter?: string;
  /** Name of a declared back end (keys create). */
  backend?: string;
  keyId?: string;
  priority?: string;
  rsaBits?: string;
  disabled?: boolean;
  /** keys disable: also keys whose tokens are still valid (keys/removal-guard.ts; recorded in key_events). */
  force?: boolean;
}

export async function keysCommand(
  command: 'list' | 'rotate' | 'disable' | 'create',
  options: KeysOptions,
): Promise<void> {
  const config = loadConfig();
  const kek = config.keyEncryptionKey;
  const db = await openSqlClient({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolMaxSize,
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    await migrate(db);
    // Listing and disabling seal nothing: they work under any key (a way out with a lost one).
    if (command !== 'list' && command !== 'disable') await checkKeyEncryptionKey(db, kek);
    const realm = await findRealm(db, options.realm);
    if (!realm) throw new RealmNotFoundError(options.realm);
    if (command === 'list') return await listCommand(db, realm, options, out);
    if (command === 'create') {
      await createTokenKeyCommand(db, kek, new Backends(config.keyBackends), realm, options, out);
      return;
    }
    if (command === 'rotate') return await rotateCommand(db, kek, realm, options, out);
    await disableCommand(db, realm, options, out);
  } finally {
    await db.close();
  }
}

/** `keys list`: the realm's keys (of --alg), one a line. */
async function listCommand(
  db: SqlClient,
  realm: NonNullable<Awaited<ReturnType<typeof findRealm>>>,
  options: KeysOptions,
  out: (line: string) => void,
): Promise<void> {
  out(
    [
      'kid'.padEnd(36),
      'alg'.padEnd(17),
      'status'.padEnd(8),
      'priority',
      'provider'.padEnd(19),
      'created',
    ].join('  '),
  );
  for (const k of (await listKeys(db, realm.id)).filter(
    (k) => !options.alg || k.alg === options.alg,
  )) {
    out(
      [
        k.kid.padEnd(36),
        k.alg.padEnd(17),
        k.status.padEnd(8),
        String(k.priority).padEnd(8),
        k.providerId.padEnd(19),
        k.createdAt.toISOString(),
      ].join('  '),
    );
  }
}

/** `keys rotate --alg A [--pre-publish S] [--retire-after S]`: a new key (keys/rotation.ts). */
async function rotateCommand(
  db: SqlClient,
  kek: Buffer,
  realm: NonNullable<Awaited<ReturnType<typeof findRealm>>>,
  options: KeysOptions,
  out: (line: string) => void,
): Promise<void> {
  const seconds = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new CliUsageError(`--${name} must be a number of seconds`);
    return Number(v);
  };
  const id = await db.transaction((tx) =>
    rotateKey(tx, kek, realm, options.alg!, {
      prePublication: seconds(options.prePublish, 'pre-publish') ?? 0,
      retireAfter: seconds(options.retireAfter, 'retire-after'),
      actor: 'cli',
    }),
  );
  const key = (await listKeys(db, realm.id)).find((k) => k.componentId === id)!;
  out(
    `new ${key.alg} key ${key.kid} is ${key.status}${key.status === 'PASSIVE' ? ' (pre-published; the scheduler activates it)' : ''}`,
  );
}

/** `keys disable --alg A | --kid K [--force]`: disables the alg's PASSIVE keys or the one key. */
async function disableCommand(
  db: SqlClient,
  realm: NonNullable<Awaited<ReturnType<typeof findRealm>>>,
  options: KeysOptions,
  out: (line: string) => void,
): Promise<void> {
  if (!options.alg && !options.kid) throw new CliUsageError('keys disable needs --alg or --kid');
  const { disabled, forced } = await db.transaction(async (tx) => {
    const before = await listKeys(tx, realm.id);
    const targets = before.filter((k) =>
      options.kid ? k.kid === options.kid : k.alg === options.alg && k.status === 'PASSIVE',
    );
    for (const key of targets) {
      const component = await findComponent(tx, realm.id, key.componentId, true);
      if (component)
        await updateKeyProvider(tx, realm.id, component, { config: { enabled: ['false'] } }, 'cli');
    }
    await assertRequiredKeys(tx, realm.id, requiredAlgs(realm.doc));
    return {
      disabled: targets.map((k) => k.kid),
      forced: await guardRemoval(tx, realm, before, { force: options.force, actor: 'cli' }),
    };
  });
  out(
    disabled.length
      ? `disabled ${disabled.join(', ')}${forced.length ? ` (forced, tokens still valid: ${forced.join(', ')})` : ''}`
      : 'nothing to disable',
  );
}

/**
 * `keys create --backend NAME --alg A`: a new key on the declared PKCS#11 token NAME, registered as
 * the realm's pkcs11 key provider naming that back end.
 * @throws Error with the reason (unknown back end, unsupported alg, the token's error).
 */
async function createTokenKeyCommand(
  db: SqlClient,
  kek: Buffer,
  backends: Backends,
  realm: { id: string; name: string },
  options: KeysOptions,
  out: (line: string) => void,
): Promise<void> {
  if (!options.backend)
    throw new CliUsageError('--backend (the name of a declared pkcs11 back end) is required');
  if (!options.alg || !PKCS11_ALGS.test(options.alg))
    throw new CliUsageError('--alg must be RS256, PS256, ES256 or ML-DSA-44/65/87');
  try {
    let pool;
    try {
      pool = backends.pkcs11(options.backend, realm.name);
    } catch (err) {
      if (err instanceof BackendRefusedError) throw new CliUsageError(`--backend ${err.message}`);
      throw err;
    }
    const keyId = options.keyId ?? randomBytes(8).toString('hex');
    const config: Record<string, string[]> = {
      backend: [options.backend],
      keyId: [keyId],
      algorithm: [options.alg],
      priority: [options.priority ?? '100'],
    };
    if (options.disabled) config.enabled = ['false'];
    const created = await createTokenKey(
      pool,
      options.alg,
      keyId,
      `qsign-${realm.name}-${options.alg}`,
      { rsaBits: options.rsaBits ? Number(options.rsaBits) : undefined },
    );
    if (created.wrappedSeed) config.wrappedSeed = [created.wrappedSeed.toString('base64')];
    const id = await addKeyProvider(
      db,
      kek,
      backends,
      realm,
      { name: `pkcs11-${options.alg.toLowerCase()}-${keyId}`, providerId: 'pkcs11', config },
      'cli',
    );
    const key = (await listKeys(db, realm.id)).find((k) => k.componentId === id)!;
    out(
      `created ${key.alg} key ${key.kid} on the token (CKA_ID ${keyId}, ${created.mode}); it is ${key.status}`,
    );
  } finally {
    await backends.close();
  }
}
