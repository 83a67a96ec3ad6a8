/**
 * Markdown tables and SVG plots of the scale curves (bench/scale/run.ts): absolute p50 / p99 per
 * size, and the p50 (and RSS) of each size as a ratio to the smallest size.
 */
import path from 'node:path';
import { fmt, ratio, table } from './common.ts';
import { plotRatios } from './plot.ts';
import { SQL_QUERIES, USER_QUERIES, type UsersPoint } from './users.ts';
import type { RealmsPoint } from './realms.ts';
import type { GrantsPoint } from './grants.ts';
import type { KeysPoint } from './keys.ts';

const k = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

function usersStore(out: string, prefix: string, label: string, points: UsersPoint[]): string[] {
  if (points.length === 0) return [];
  const file = `${prefix}-users-${label.toLowerCase()}.svg`;
  plotRatios(
    path.join(out, file),
    `Users per realm, ${label}: p50 latency as a ratio to ${k(points[0].size)} users`,
    'users in the realm',
    points.map((p) => p.size),
    [
      ...USER_QUERIES.map((q) => ({ name: q, values: points.map((p) => p.results[q].p50) })),
      { name: 'server RSS', values: points.map((p) => p.rssMb) },
    ],
  );
  const sqlFile = `${prefix}-users-${label.toLowerCase()}-sql.svg`;
  plotRatios(
    path.join(out, sqlFile),
    `Users per realm, ${label}: store SQL execution time, ratio to ${k(points[0].size)} users`,
    'users in the realm',
    points.map((p) => p.size),
    SQL_QUERIES.map((q) => ({ name: q, values: points.map((p) => p.sql[q]) })),
  );
  const base = points[0];
  return [
    `### ${label}`,
    '',
    `![users per realm, ${label}](${file}) ![store SQL, ${label}](${sqlFile})`,
    '',
    ...table(
      [
        'request',
        ...points.map((p) => `${k(p.size)} p50 / p99 ms`),
        ...points.slice(1).map((p) => `${k(p.size)} / ${k(base.size)} (p50)`),
      ],
      USER_QUERIES.map((q) => [
        `${q} (n=${base.results[q].n})`,
        ...points.map((p) => `${fmt(p.results[q].p50)} / ${fmt(p.results[q].p99)}`),
        ...points.slice(1).map((p) => ratio(p.results[q].p50, base.results[q].p50)),
      ]),
    ),
    '',
    `Inside the database (EXPLAIN ANALYZE execution time of the store's SQL, median of 7, ms):`,
    '',
    ...table(
      [
        'query',
        ...points.map((p) => k(p.size)),
        ...points.slice(1).map((p) => `${k(p.size)} / ${k(base.size)}`),
      ],
      SQL_QUERIES.map((q) => [
        q,
        ...points.map((p) => fmt(p.sql[q], 3)),
        ...points.slice(1).map((p) => ratio(p.sql[q], base.sql[q])),
      ]),
    ),
    '',
    ...table(
      ['size', 'seed s', 'start-up ms', 'RSS MB', 'RSS ratio', 'errors'],
      points.map((p) => [
        k(p.size),
        fmt(p.seedMs / 1000),
        fmt(p.startMs, 0),
        fmt(p.rssMb, 0),
        ratio(p.rssMb, base.rssMb),
        Object.values(p.results).reduce((a, r) => a + r.errors, 0),
      ]),
    ),
    '',
  ];
}

export function usersReport(
  out: string,
  prefix: string,
  pg: UsersPoint[],
  lite: UsersPoint[],
): string[] {
  return [
    '## Users per realm',
    '',
    'One realm grown by bulk insert; the server restarted at each size. "search prefix": `?briefRepresentation=true&max=11&search=user012345` (a random 6-digit prefix, 10 users); "search first name": `search=Anna` (one of 40 first names, n/40 users); "q": `?q=employeeNumber:E{i}`; "count (all)": `/users/count`; paging: `?briefRepresentation=true&first=F&max=100`.',
    '',
    ...usersStore(out, prefix, 'PostgreSQL', pg),
    ...usersStore(out, prefix, 'PGlite', lite),
  ];
}

export function realmsReport(out: string, prefix: string, points: RealmsPoint[]): string[] {
  if (points.length === 0) return [];
  const file = `${prefix}-realms.svg`;
  const base = points[0];
  const series: [string, (p: RealmsPoint) => number][] = [
    ['start-up ms', (p) => p.startMs],
    ['RSS after first token in every realm', (p) => p.rssMb],
    ['first token p50 (each realm once)', (p) => p.firstToken.p50],
    ['GET /admin/realms p50', (p) => p.adminList.p50],
    ['token again p50 (warm realm)', (p) => p.warmToken.p50],
  ];
  plotRatios(
    path.join(out, file),
    `Realms (PostgreSQL): ratio to ${base.size} realms`,
    'realms',
    points.map((p) => p.size),
    series.map(([name, f]) => ({ name, values: points.map(f) })),
  );
  return [
    '## Realms',
    '',
    `![realms](${file})`,
    '',
    ...table(
      [
        'realms',
        'made in s',
        'start-up ms',
        'RSS idle MB',
        'RSS after a token in each MB',
        'MB per realm',
        'first token p50 / p99 ms',
        'warm token p50 / p99 ms',
        'GET /admin/realms p50 / p99 ms',
        'admin list bytes',
      ],
      points.map((p) => [
        p.size,
        fmt(p.importMs / 1000),
        fmt(p.startMs, 0),
        fmt(p.idleRssMb, 0),
        fmt(p.rssMb, 0),
        fmt((p.rssMb - p.idleRssMb) / p.size, 2),
        `${fmt(p.firstToken.p50)} / ${fmt(p.firstToken.p99)}`,
        `${fmt(p.warmToken.p50)} / ${fmt(p.warmToken.p99)}`,
        `${fmt(p.adminList.p50)} / ${fmt(p.adminList.p99)}`,
        p.adminListBytes,
      ]),
    ),
    '',
    ...table(
      ['realms', ...series.map(([name]) => `${name} ratio`)],
      points.map((p) => [p.size, ...series.map(([, f]) => ratio(f(p), f(base)))]),
    ),
    '',
  ];
}

export function grantsReport(out: string, prefix: string, points: GrantsPoint[]): string[] {
  if (points.length === 0) return [];
  const file = `${prefix}-grants.svg`;
  const base = points[0];
  const series: [string, (p: GrantsPoint) => number][] = [
    ['refresh p50', (p) => p.refresh.p50],
    ['introspection p50', (p) => p.introspect.p50],
    ['refresh p99 during the sweep', (p) => p.refreshDuringSweep.p99],
    ['sweep ms per expired row', (p) => p.sweepMs / Math.max(1, p.swept)],
  ];
  plotRatios(
    path.join(out, file),
    `Stored grants and sessions (PostgreSQL): ratio to ${k(base.size)} rows`,
    'rows in oidc_payloads',
    points.map((p) => p.size),
    series.map(([name, f]) => ({ name, values: points.map(f) })),
  );
  return [
    '## Stored grants and sessions',
    '',
    `![grants](${file})`,
    '',
    ...table(
      [
        'rows',
        'refresh p50 / p99 ms',
        'introspection p50 / p99 ms',
        'sweep: rows, s',
        'refresh during the sweep p50 / p99 ms',
        'RSS MB',
        ...series.map(([n]) => `${n} ratio`),
      ],
      points.map((p) => [
        k(p.size),
        `${fmt(p.refresh.p50)} / ${fmt(p.refresh.p99)}`,
        `${fmt(p.introspect.p50)} / ${fmt(p.introspect.p99)}`,
        `${p.swept}, ${fmt(p.sweepMs / 1000, 2)}`,
        `${fmt(p.refreshDuringSweep.p50)} / ${fmt(p.refreshDuringSweep.p99)} (n=${p.refreshDuringSweep.n})`,
        fmt(p.rssMb, 0),
        ...series.map(([, f]) => ratio(f(p), f(base))),
      ]),
    ),
    '',
  ];
}

export function keysReport(out: string, prefix: string, points: KeysPoint[]): string[] {
  if (points.length === 0) return [];
  const file = `${prefix}-keys.svg`;
  const base = points[0];
  const series: [string, (p: KeysPoint) => number][] = [
    ['JWKS bytes', (p) => p.jwksBytes],
    ['/certs p50', (p) => p.certs.p50],
    ['client_credentials p50', (p) => p.grant.p50],
  ];
  plotRatios(
    path.join(out, file),
    `Keys per realm: ratio to ${base.size} keys`,
    'ML-DSA-65 keys in the realm',
    points.map((p) => p.size),
    series.map(([name, f]) => ({ name, values: points.map(f) })),
  );
  return [
    '## Keys per realm',
    '',
    `![keys](${file})`,
    '',
    ...table(
      [
        'keys',
        'in JWKS',
        'JWKS bytes',
        '/certs p50 / p99 ms',
        'client_credentials p50 / p99 ms',
        ...series.map(([n]) => `${n} ratio`),
      ],
      points.map((p) => [
        p.size,
        p.jwksKeys,
        p.jwksBytes,
        `${fmt(p.certs.p50)} / ${fmt(p.certs.p99)}`,
        `${fmt(p.grant.p50)} / ${fmt(p.grant.p99)}`,
        ...series.map(([, f]) => ratio(f(p), f(base))),
      ]),
    ),
    '',
  ];
}
