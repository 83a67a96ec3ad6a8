/**
 * Keycloak-style events: login events (LOGIN, LOGIN_ERROR, CODE_TO_TOKEN, REFRESH_TOKEN,
 * CLIENT_LOGIN, LOGOUT) and admin events (CREATE, UPDATE, DELETE with the resource path), kept in
 * the store and readable through the admin API. Every event is chained to the previous event of its
 * realm: mac = HMAC-SHA-256(key, prev_mac ‖ 0x00 ‖ canonical JSON of the event), the key derived
 * from KEY_ENCRYPTION_KEY (HKDF, "events chain v1"). Editing an event breaks its mac; deleting one
 * breaks the next event's prev_mac. Appends are batched per realm in a process and serialised
 * across processes with an advisory lock.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';

export type EventKind = 'login' | 'admin';
export interface StoredEvent {
  id: number;
  realmId: string;
  kind: EventKind;
  time: number;
  type: string;
  representation: Record<string, unknown>;
}
interface Row {
  id: string;
  realm_id: string;
  kind: EventKind;
  time: string;
  type: string;
  representation: Record<string, unknown>;
}

const GENESIS = 'genesis';

export function eventKey(kek: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, 'qsign-oidc', 'events chain v1', 32));
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function macOf(key: Buffer, prevMac: string, e: Omit<StoredEvent, 'id'>): string {
  return createHmac('sha256', key)
    .update(prevMac)
    .update('\0')
    .update(
      canonical({
        realmId: e.realmId,
        kind: e.kind,
        time: e.time,
        type: e.type,
        representation: e.representation,
      }),
    )
    .digest('base64url');
}

interface Pending {
  key: Buffer;
  event: Omit<StoredEvent, 'id'>;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Most events written in one transaction, and most waiting per realm before appends fail fast. */
const BATCH = 1000;
const MAX_PENDING = 10_000;

/**
 * The writer of one store's events in one server: its queues per realm and its running writes.
 * Made by the composition root (services.ts) beside the store; two servers (two writers) share
 * nothing, even over one store (the advisory lock orders them as it orders processes).
 */
export class EventWriter {
  readonly #db: SqlClient;
  /** Events waiting per realm; a realm's entry exists while its writer runs. */
  readonly #queues = new Map<string, Pending[]>();
  /** The running writers, and work that will append events (track), for flush. */
  readonly #running = new Set<Promise<void>>();

  constructor(db: SqlClient) {
    this.#db = db;
  }

  /**
   * Appends one event to its realm's chain. Resolves once it is committed; rejects (Error) when
   * the store fails or MAX_PENDING events already wait for the realm. The appends of a realm are
   * queued and written by one writer, up to BATCH per transaction, so a burst of logins holds one
   * pooled connection instead of all of them queueing on the advisory lock; processes (and other
   * writers) are serialised by the advisory lock.
   */
  append(key: Buffer, input: Omit<StoredEvent, 'id'>): Promise<void> {
    // The mac covers exactly what is stored: JSON drops undefined members.
    const event = {
      ...input,
      representation: JSON.parse(JSON.stringify(input.representation)) as Record<string, unknown>,
    };
    const realms = this.#queues;
    const queue = realms.get(event.realmId);
    if (queue && queue.length >= MAX_PENDING)
      return Promise.reject(new Error(`more than ${MAX_PENDING} events wait to be stored`));
    return new Promise((resolve, reject) => {
      if (queue) {
        queue.push({ key, event, resolve, reject });
        return;
      }
      realms.set(event.realmId, [{ key, event, resolve, reject }]);
      this.track(drain(this.#db, realms, event.realmId));
    });
  }

  /**
   * Resolves once every event appended so far is committed or has failed: what a server awaits
   * on shutdown before it closes the store, so that no accepted event is lost.
   */
  async flush(): Promise<void> {
    while (this.#running.size) await Promise.allSettled([...this.#running]);
  }

  /**
   * Makes flush wait for `work` too: work that appends events after it has looked something up
   * (the admin-event recorder finds the realm first), and so is not a writer yet when a shutdown
   * starts. Its outcome is the caller's to handle; here it only delays flush.
   */
  track(work: Promise<unknown>): void {
    const running = this.#running;
    const tracked: Promise<void> = work
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => running.delete(tracked));
    running.add(tracked);
  }
}

async function drain(
  db: SqlClient,
  realms: Map<string, Pending[]>,
  realmId: string,
): Promise<void> {
  for (;;) {
    const batch = realms.get(realmId)!.splice(0, BATCH);
    if (batch.length === 0) {
      realms.delete(realmId);
      return;
    }
    try {
      await db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('qsign-events:' || $1))", [realmId]);
        // The chain's head, as the last entry of the events_chain index (realm_id, id) up to this
        // realm: an order only that index gives. With `realm_id = $1 ORDER BY id DESC`, PostgreSQL
        // may walk the primary key backwards past every newer event of the other realms.
        const [head] = await tx.query<{ realm_id: string; mac: string }>(
          'SELECT realm_id, mac FROM events WHERE realm_id <= $1 ORDER BY realm_id DESC, id DESC LIMIT 1',
          [realmId],
        );
        const last = head?.realm_id === realmId ? head : undefined;
        // One multi-row INSERT per batch (one round trip, however busy the event loop is); ids
        // follow the VALUES order, so the chain order is the id order.
        let prevMac = last?.mac ?? GENESIS;
        const rows: string[] = [];
        const params: unknown[] = [];
        for (const { key, event } of batch) {
          const mac = macOf(key, prevMac, event);
          const n = params.push(
            realmId,
            event.kind,
            event.time,
            event.type,
            JSON.stringify(event.representation),
            prevMac,
            mac,
          );
          rows.push(`(${Array.from({ length: 7 }, (_, i) => `$${n - 6 + i}`).join(', ')})`);
          prevMac = mac;
        }
        await tx.query(
          `INSERT INTO events (realm_id, kind, time, type, representation, prev_mac, mac) VALUES ${rows.join(', ')}`,
          params,
        );
      });
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }
}

/**
 * Which stored events a listing returns (Keycloak's EventQuery / AdminEventQuery). Every member is
 * optional and narrows the result; absent means no condition.
 */
export interface EventFilter {
  /** The `type` column, any of: login event types (LOGIN...) or admin operation types (CREATE...). */
  types?: string[];
  /** Exact matches on members of the representation, by path: `clientId`, `authDetails.userId`. */
  equals?: Record<string, string>;
  /** Any of these `resourceType` values (admin events). */
  resourceTypes?: string[];
  /** `resourcePath` matches this pattern, in which `*` stands for any run of characters (Keycloak's wildcard). */
  resourcePath?: string;
  /** Event time bounds, epoch milliseconds, both inclusive. */
  fromTime?: number;
  toTime?: number;
  /** Store order (the chain's): newest first by default, as Keycloak's time order. */
  direction?: 'asc' | 'desc';
  /** Offset and page size (default 100, Keycloak's Constants.DEFAULT_MAX_RESULTS). */
  first?: number;
  max?: number;
}

/** A realm's events of one kind that pass `filter`, one page of them. */
export async function listEvents(
  db: SqlClient,
  realmId: string,
  kind: EventKind,
  filter: EventFilter = {},
): Promise<StoredEvent[]> {
  const params: unknown[] = [realmId, kind];
  const where = ['realm_id = $1', 'kind = $2'];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filter.types) add((p) => `type = ANY(${p}::text[])`, filter.types);
  for (const [path, value] of Object.entries(filter.equals ?? {})) {
    params.push(path.split('.'), value);
    where.push(`representation #>> $${params.length - 1}::text[] = $${params.length}`);
  }
  if (filter.resourceTypes)
    add((p) => `representation->>'resourceType' = ANY(${p}::text[])`, filter.resourceTypes);
  // LIKE with the default escape character (backslash): only `*` is a wildcard.
  if (filter.resourcePath !== undefined)
    add(
      (p) => `representation->>'resourcePath' LIKE ${p}`,
      filter.resourcePath.replace(/[\\%_]/g, '\\$&').replaceAll('*', '%'),
    );
  if (filter.fromTime !== undefined) add((p) => `time >= ${p}`, filter.fromTime);
  if (filter.toTime !== undefined) add((p) => `time <= ${p}`, filter.toTime);
  params.push(filter.max ?? 100, filter.first ?? 0);
  const rows = await db.query<Row>(
    `SELECT id, realm_id, kind, time, type, representation FROM events WHERE ${where.join(' AND ')}
     ORDER BY id ${filter.direction === 'asc' ? 'ASC' : 'DESC'} LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    realmId: r.realm_id,
    kind: r.kind,
    time: Number(r.time),
    type: r.type,
    representation: r.representation,
  }));
}

/** Events read per query by verifyEvents: its memory stays bounded whatever the table holds. */
const VERIFY_BATCH = 1000;

/**
 * Walks every realm's chain (or `realmId`'s) in id order, VERIFY_BATCH rows at a time (keyset on
 * (realm_id, id), the events_chain index); returns one line per broken link, naming the edited
 * event or the gap a deleted one left (empty when intact).
 */
export async function verifyEvents(
  db: SqlClient,
  key: Buffer,
  realmId?: string,
): Promise<string[]> {
  const problems: string[] = [];
  let previous: { realmId: string; mac: string; id: number } | undefined;
  let after = { realmId: realmId ?? '', id: 0 };
  for (;;) {
    const rows = await db.query<Row & { prev_mac: string; mac: string }>(
      `SELECT id, realm_id, kind, time, type, representation, prev_mac, mac FROM events
       WHERE (realm_id, id) > ($1, $2) ORDER BY realm_id, id LIMIT ${VERIFY_BATCH}`,
      [after.realmId, after.id],
    );
    for (const r of rows) {
      if (realmId !== undefined && r.realm_id !== realmId) return problems;
      const link = previous?.realmId === r.realm_id ? previous : undefined;
      if (r.prev_mac !== (link?.mac ?? GENESIS))
        problems.push(
          `realm ${r.realm_id}: event ${r.id} does not follow ${link ? `event ${link.id}` : 'the start of the chain'}: an event before it was deleted`,
        );
      const event = {
        realmId: r.realm_id,
        kind: r.kind,
        time: Number(r.time),
        type: r.type,
        representation: r.representation,
      };
      if (macOf(key, r.prev_mac, event) !== r.mac)
        problems.push(`realm ${r.realm_id}: event ${r.id} (${r.type}) was modified`);
      previous = { realmId: r.realm_id, mac: r.mac, id: Number(r.id) };
    }
    if (rows.length < VERIFY_BATCH) return problems;
    after = { realmId: previous!.realmId, id: previous!.id };
  }
}
