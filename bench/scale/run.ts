/**
 * `npm run bench -- scale` (issue 22): growth curves, each a Markdown table (absolute figures and
 * ratios to the smallest size) and an SVG plot of the ratios (bench/scale/plot.ts), written to
 * bench/results/scale.md and bench/results/scale-*.svg.
 *
 * Parts, in order: users per realm (bench/scale/users.ts) on PostgreSQL and on PGlite, realms
 * (bench/scale/realms.ts), stored grants and sessions (bench/scale/grants.ts), keys per realm
 * (bench/scale/keys.ts), events (bench/scale/events.ts). SCALE_USERS_PG, SCALE_USERS_PGLITE,
 * SCALE_REALMS, SCALE_GRANTS, SCALE_KEYS and SCALE_EVENTS (comma-separated sizes, empty for none)
 * override the sizes; SCALE_PARTS (comma-separated: users, realms, grants, keys, events) picks parts; SCALE_REPORT names the Markdown file
 * (default scale.md) and, by its name, the plots. A million users on PostgreSQL:
 * SCALE_USERS_PG=1000,10000,100000,1000000 (about 6 more minutes of seeding here). Ten million
 * events: SCALE_PARTS=events SCALE_EVENTS=10000,100000,1000000,10000000 (about 6 minutes alone).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { REPO } from './common.ts';
import { usersCurve } from './users.ts';
import { realmsCurve } from './realms.ts';
import { grantsCurve } from './grants.ts';
import { keysCurve } from './keys.ts';
import { eventsCurve } from './events.ts';
import { usersReport, realmsReport, grantsReport, keysReport } from './report.ts';
import { eventsReport } from './events-report.ts';
import { throughputRun, throughputReport } from './throughput.ts';

const sizes = (name: string, fallback: number[]) =>
  process.env[name] === undefined
    ? fallback
    : process.env[name].split(',').filter(Boolean).map(Number);
const parts = new Set((process.env.SCALE_PARTS ?? 'users,realms,grants,keys,events').split(','));
const OUT = path.join(REPO, 'bench', 'results');
mkdirSync(OUT, { recursive: true });
const REPORT = path.join(OUT, process.env.SCALE_REPORT ?? 'scale.md');
/** Plot files are named after the report: scale.md → scale-users-postgresql.svg... */
const PREFIX = path.basename(REPORT).replace(/\.md$/, '');

const t0 = performance.now();
const log = (line: string) =>
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${line}\n`);
const out: string[] = [
  `# qsign-oidc scale benchmark (${new Date().toISOString()})`,
  '',
  `Machine: ${availableParallelism()} cores, Node ${process.version}, load average at start ${loadavg()
    .map((l) => l.toFixed(1))
    .join(
      ' / ',
    )} (a shared machine: other work ran beside the bench, so absolute figures are loose; ratios between sizes taken in one run are the figures to read). Server: \`npm start\` (one worker), a separate process. Data seeded by bulk INSERT ... SELECT, not through the API. p50 / p99 in ms over the stated number of requests, 2 at a time.`,
  '',
];

if (parts.has('users')) {
  const pg = await usersCurve('postgresql', sizes('SCALE_USERS_PG', [1e3, 1e4, 1e5]), log);
  const lite = await usersCurve('pglite', sizes('SCALE_USERS_PGLITE', [1e3, 1e4, 1e5]), log);
  out.push(...usersReport(OUT, PREFIX, pg, lite));
}
if (parts.has('realms')) {
  const points = await realmsCurve(sizes('SCALE_REALMS', [10, 100, 1000]), log);
  out.push(...realmsReport(OUT, PREFIX, points));
}
if (parts.has('grants')) {
  const points = await grantsCurve(sizes('SCALE_GRANTS', [1e4, 1e5, 1e6]), log);
  out.push(...grantsReport(OUT, PREFIX, points));
}
if (parts.has('keys')) {
  const { points } = await keysCurve(sizes('SCALE_KEYS', [2, 20, 200]), log);
  out.push(...keysReport(OUT, PREFIX, points));
}
if (parts.has('events')) {
  const points = await eventsCurve(sizes('SCALE_EVENTS', [1e4, 1e5, 1e6]), log);
  out.push(...eventsReport(OUT, PREFIX, points));
}
// Not in the default parts: SCALE_PARTS=throughput (bench/scale/throughput.ts, about 1 minute).
if (parts.has('throughput')) out.push(...throughputReport(await throughputRun(log)));
out.push('', `Total bench time: ${((performance.now() - t0) / 1000).toFixed(0)} s.`);
writeFileSync(REPORT, `${out.join('\n')}\n`);
log(`wrote ${REPORT}`);
process.exit(0);
