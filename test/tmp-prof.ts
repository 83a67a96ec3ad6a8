import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqlClient } from '../src/store/sql.ts';
import { migrate } from '../src/store/migrations.ts';
import { importRealm, readRealmFile } from '../src/realm/import.ts';
import { loadConfig } from '../src/config.ts';
import { Backends } from '../src/signer/backends.ts';
import { createLogger } from '../src/log.ts';
import { makePgliteTemplates, seedPgliteDataDir, PGLITE_TEMPLATE_ENV } from './helpers/store-template.ts';

const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let t0 = performance.now(); let c0 = cpu();
const lap = (s: string) => { console.log(s.padEnd(16), (performance.now() - t0).toFixed(0).padStart(6), 'ms wall', (cpu() - c0).toFixed(0).padStart(6), 'ms cpu', (process.memoryUsage().rss / 1e6).toFixed(0), 'MB rss'); t0 = performance.now(); c0 = cpu(); };
if (process.argv[2] === 'template') {
  process.env[PGLITE_TEMPLATE_ENV] = await makePgliteTemplates(mkdtempSync(path.join(tmpdir(), 'qsign-tpl-')));
  lap('make templates');
}
const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-prof-'));
seedPgliteDataDir(dataDir);
lap('seed');
const KEK = Buffer.alloc(32, 7).toString('base64');
const config = loadConfig({ PORT: '1', PUBLIC_BASE_URL: 'http://x', DATA_DIR: dataDir, KEY_ENCRYPTION_KEY: KEK, LOG_LEVEL: 'silent' });
const db = await openSqlClient({ dataDir, keyEncryptionKey: config.keyEncryptionKey });
lap('open');
await migrate(db);
lap('migrate');
const backends = new Backends(config.keyBackends, createLogger('silent'));
const realm = await readRealmFile('realms/master.json', { ...process.env, KC_BOOTSTRAP_ADMIN_USERNAME: 'admin', KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin-test-password' });
await importRealm(db, config.keyEncryptionKey, realm, { backends });
lap('import master');
await db.close();
lap('close');
console.log('maxrss', (process.resourceUsage().maxRSS / 1024).toFixed(0), 'MB');
