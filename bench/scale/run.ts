/**
 * `npm run bench -- scale` (issue 22): growth curves, each a Markdown table (absolute figures and
 * ratios to the smallest size) and an SVG plot of the ratios (bench/scale/plot.ts), written to
 * bench/results/scale.md and bench/results/scale-*.svg.
 *
 * Parts, in order: users per realm (bench/scale/users.ts) on PostgreSQL and on PGlite, realms
 * (bench/scale/realms.ts). SCALE_USERS_PG / SCALE_USERS_PGLITE (comma-separated sizes) and
 * SCALE_REALMS override the sizes; SCALE_PARTS (comma-separated: users, realms) picks parts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { REPO } from './common.ts';
import { usersCurve } from './users.ts';
import { realmsCurve } from './realms.ts';
import { usersReport, realmsReport } from './report.ts';

const sizes = (name: string, fallback: number[]) =>
  process.env[name] ? process.env[name].split(',').filter(Boolean).map(Number) : fallback;
const parts = new Set((process.env.SCALE_PARTS ?? 'users,realms').split(','));
const OUT = path.join(REPO, 'bench', 'results');
mkdirSync(OUT, { recursive: true });

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
  const pg = await usersCurve('postgresql', sizes('SCALE_USERS_PG', [1e3, 1e4, 1e5, 1e6]), log);
  const lite = await usersCurve('pglite', sizes('SCALE_USERS_PGLITE', [1e3, 1e4, 1e5]), log);
  out.push(...usersReport(OUT, pg, lite));
}
if (parts.has('realms')) {
  const points = await realmsCurve(sizes('SCALE_REALMS', [10, 100, 1000]), log);
  out.push(...realmsReport(OUT, points));
}
out.push('', `Total bench time: ${((performance.now() - t0) / 1000).toFixed(0)} s.`);
writeFileSync(path.join(OUT, 'scale.md'), `${out.join('\n')}\n`);
log(`wrote ${path.join(OUT, 'scale.md')}`);
process.exit(0);
