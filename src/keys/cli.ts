/**
 * `npm start -- keys list|rotate|disable --realm R [--alg A]`: the operator's key commands. They
 * change the store in one transaction each, with the same guards as the admin API (never the
 * last active key of an alg the realm needs), and record `cli` as the actor.
 */
import { loadConfig } from '../config.ts';
import { openSqlClient } from '../store/sql.ts';
import { migrate } from '../store/migrations.ts';
import { findRealm } from '../store/realms.ts';
import { listKeys } from './repository.ts';
import { assertRequiredKeys, findComponent, updateKeyProvider } from './providers.ts';
import { rotateKey } from './rotation.ts';
import { requiredAlgs } from './required.ts';

export async function keysCommand(command: 'list' | 'rotate' | 'disable', options: { realm: string; alg?: string; kid?: string; prePublish?: string; retireAfter?: string }): Promise<void> {
  const config = loadConfig();
  const db = await openSqlClient({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    await migrate(db);
    const realm = await findRealm(db, options.realm);
    if (!realm) throw new Error(`realm ${options.realm} not found`);
    if (command === 'list') {
      out(['kid'.padEnd(36), 'alg'.padEnd(17), 'status'.padEnd(8), 'priority', 'provider'.padEnd(19), 'created'].join('  '));
      for (const k of (await listKeys(db, realm.id)).filter((k) => !options.alg || k.alg === options.alg)) {
        out([k.kid.padEnd(36), k.alg.padEnd(17), k.status.padEnd(8), String(k.priority).padEnd(8), k.providerId.padEnd(19), k.createdAt.toISOString()].join('  '));
      }
      return;
    }
    if (command === 'rotate') {
      const seconds = (v: string | undefined, name: string) => {
        if (v === undefined) return undefined;
        if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a number of seconds`);
        return Number(v);
      };
      const id = await db.transaction((tx) => rotateKey(tx, config.keyEncryptionKey, realm, options.alg!, {
        prePublication: seconds(options.prePublish, 'pre-publish') ?? 0, retireAfter: seconds(options.retireAfter, 'retire-after'), actor: 'cli',
      }));
      const key = (await listKeys(db, realm.id)).find((k) => k.componentId === id)!;
      out(`new ${key.alg} key ${key.kid} is ${key.status}${key.status === 'PASSIVE' ? ' (pre-published; the scheduler activates it)' : ''}`);
      return;
    }
    if (!options.alg && !options.kid) throw new Error('keys disable needs --alg or --kid');
    const disabled = await db.transaction(async (tx) => {
      const targets = (await listKeys(tx, realm.id)).filter((k) => (options.kid ? k.kid === options.kid : k.alg === options.alg && k.status === 'PASSIVE'));
      for (const key of targets) {
        const component = await findComponent(tx, realm.id, key.componentId, true);
        if (component) await updateKeyProvider(tx, realm.id, component, { config: { enabled: ['false'] } }, 'cli');
      }
      await assertRequiredKeys(tx, realm.id, requiredAlgs(realm.doc));
      return targets.map((k) => k.kid);
    });
    out(disabled.length ? `disabled ${disabled.join(', ')}` : 'nothing to disable');
  } finally {
    await db.close();
  }
}
