/**
 * Markdown table and SVG plot of the events curve (bench/scale/events.ts): listing p50 / p99 per
 * filter and size, append and verify rates, each as a ratio to the smallest size.
 */
import path from 'node:path';
import { fmt, ratio, table } from './common.ts';
import { plotRatios } from './plot.ts';
import { EVENT_QUERIES, type EventQuery, type EventsPoint } from './events.ts';

const k = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

export function eventsReport(out: string, prefix: string, points: EventsPoint[]): string[] {
  if (points.length === 0) return [];
  const file = `${prefix}-events.svg`;
  const base = points[0];
  const queries: EventQuery[] = Object.keys(EVENT_QUERIES);
  const sqlFile = `${prefix}-events-sql.svg`;
  plotRatios(
    path.join(out, sqlFile),
    `Events (PostgreSQL): listing SQL execution time, ratio to ${k(base.size)} events`,
    'events in the table',
    points.map((p) => p.size),
    queries.map((q) => ({ name: q, values: points.map((p) => p.sql[q]) })),
  );
  const rates: [string, (p: EventsPoint) => number][] = [
    ['append, burst (events/s)', (p) => p.burstPerS],
    ['append, one at a time (events/s)', (p) => p.serialPerS],
    ['events verify (events/s)', (p) => p.verifyPerS],
  ];
  plotRatios(
    path.join(out, file),
    `Events (PostgreSQL): listing p50 over HTTP, ratio to ${k(base.size)} events`,
    'events in the table',
    points.map((p) => p.size),
    queries.map((q) => ({ name: q, values: points.map((p) => p.results[q].p50) })),
  );
  const ratesFile = `${prefix}-events-rates.svg`;
  plotRatios(
    path.join(out, ratesFile),
    `Events (PostgreSQL): append and verify rates, ratio to ${k(base.size)} events`,
    'events in the table',
    points.map((p) => p.size),
    rates.map(([name, f]) => ({ name, values: points.map(f) })),
  );
  return [
    '## Events',
    '',
    `![events](${file}) ![events SQL](${sqlFile}) ![events rates](${ratesFile})`,
    '',
    `Seeded login events of one realm, one statement of generate_series per million rows (seed time per size: ${points.map((p) => `${k(p.size)} ${fmt(p.seedMs / 1000, 0)} s`).join(', ')}); \`GET /admin/realms/events/events?...\`, p50 / p99 ms, 2 at a time.`,
    '',
    ...table(
      [
        'listing',
        ...points.map((p) => `${k(p.size)} p50 / p99 ms`),
        ...points.slice(1).map((p) => `${k(p.size)} / ${k(base.size)} (p50)`),
      ],
      queries.map((q) => [
        `${q} (n=${base.results[q].n})`,
        ...points.map(
          (p) =>
            `${fmt(p.results[q].p50)} / ${fmt(p.results[q].p99)}${p.results[q].errors ? ` (${p.results[q].errors} errors)` : ''}`,
        ),
        ...points.slice(1).map((p) => ratio(p.results[q].p50, base.results[q].p50)),
      ]),
    ),
    '',
    `Inside the database (EXPLAIN ANALYZE execution time of listEvents' SQL, median of 5, ms):`,
    '',
    ...table(
      [
        'listing',
        ...points.map((p) => k(p.size)),
        ...points.slice(1).map((p) => `${k(p.size)} / ${k(base.size)}`),
      ],
      queries.map((q) => [
        q,
        ...points.map((p) => fmt(p.sql[q], 3)),
        ...points.slice(1).map((p) => ratio(p.sql[q], base.sql[q])),
      ]),
    ),
    '',
    `Appends through the writer (events/store.ts appendEvent, in the bench process, ${20_000} at once and ${300} one after another, into a realm of their own in the same table), and verifyEvents over that chain (${20_300} events):`,
    '',
    ...table(
      [
        'rate',
        ...points.map((p) => k(p.size)),
        ...points.slice(1).map((p) => `${k(p.size)} / ${k(base.size)}`),
      ],
      [
        ...rates.map(([name, f]) => [
          name,
          ...points.map((p) => fmt(f(p), 0)),
          ...points.slice(1).map((p) => ratio(f(p), f(base))),
        ]),
        [
          'chain intact after the appends',
          ...points.map((p) => (p.intact ? 'yes' : 'NO')),
          ...points.slice(1).map(() => ''),
        ],
        [
          'server RSS MB',
          ...points.map((p) => fmt(p.rssMb, 0)),
          ...points.slice(1).map((p) => ratio(p.rssMb, base.rssMb)),
        ],
      ],
    ),
    '',
  ];
}
