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
export interface StoredEvent { id: number; realmId: string; kind: EventKind; time: number; type: string; representation: Record<string, unknown> }

const GENESIS = 'genesis';

export function eventKey(kek: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, 'qsign-oidc', 'events chain v1', 32));
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function macOf(key: Buffer, prevMac: string, e: Omit<StoredEvent, 'id'>): string {
  return createHmac('sha256', key).update(prevMac).update('\0').update(canonical({ realmId: e.realmId, kind: e.kind, time: e.time, type: e.type, representation: e.representation })).digest('base64url');
}

interface Pending { key: Buffer; event: Omit<StoredEvent, 'id'>; resolve: () => void; reject: (err: Error) => void }

/** Events waiting per store and realm; a realm's entry exists while its writer runs. */
const queues = new WeakMap<SqlClient, Map<string, Pending[]>>();
/** The running writers per store, for flushEvents. */
const writers = new WeakMap<SqlClient, Set<Promise<void>>>();
/** Most events written in one transaction, and most waiting per realm before appends fail fast. */
const BATCH = 1000;
const MAX_PENDING = 10_000;

/**
 * Appends one event to its realm's chain. Resolves once it is committed; rejects (Error) when the
 * store fails or MAX_PENDING events already wait for the realm. Within a process the appends of a
 * realm are queued and written by one writer, up to BATCH per transaction, so a burst of logins
 * holds one pooled connection instead of all of them queueing on the advisory lock; processes are
 * serialised by the advisory lock.
 */
export function appendEvent(db: SqlClient, key: Buffer, input: Omit<StoredEvent, 'id'>): Promise<void> {
  // The mac covers exactly what is stored: JSON drops undefined members.
  const event = { ...input, representation: JSON.parse(JSON.stringify(input.representation)) as Record<string, unknown> };
  let realms = queues.get(db);
  if (!realms) queues.set(db, (realms = new Map()));
  const queue = realms.get(event.realmId);
  if (queue && queue.length >= MAX_PENDING) return Promise.reject(new Error(`more than ${MAX_PENDING} events wait to be stored`));
  return new Promise((resolve, reject) => {
    if (queue) { queue.push({ key, event, resolve, reject }); return; }
    realms.set(event.realmId, [{ key, event, resolve, reject }]);
    let running = writers.get(db);
    if (!running) writers.set(db, (running = new Set()));
    const writer = drain(db, realms, event.realmId).finally(() => running.delete(writer));
    running.add(writer);
  });
}

/**
 * Resolves once every event appended to `db` so far is committed or has failed: what a process
 * awaits on shutdown before it closes the store, so that no accepted event is lost.
 */
export async function flushEvents(db: SqlClient): Promise<void> {
  for (let running = writers.get(db); running?.size; running = writers.get(db)) await Promise.allSettled([...running]);
}

async function drain(db: SqlClient, realms: Map<string, Pending[]>, realmId: string): Promise<void> {
  for (;;) {
    const batch = realms.get(realmId)!.splice(0, BATCH);
    if (batch.length === 0) { realms.delete(realmId); return; }
    try {
      await db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('qsign-events:' || $1))", [realmId]);
        const [last] = await tx.query<{ mac: string }>('SELECT mac FROM events WHERE realm_id = $1 ORDER BY id DESC LIMIT 1', [realmId]);
        // One multi-row INSERT per batch (one round trip, however busy the event loop is); ids
        // follow the VALUES order, so the chain order is the id order.
        let prevMac = last?.mac ?? GENESIS;
        const rows: string[] = [];
        const params: unknown[] = [];
        for (const { key, event } of batch) {
          const mac = macOf(key, prevMac, event);
          const n = params.push(realmId, event.kind, event.time, event.type, JSON.stringify(event.representation), prevMac, mac);
          rows.push(`(${Array.from({ length: 7 }, (_, i) => `$${n - 6 + i}`).join(', ')})`);
          prevMac = mac;
        }
        await tx.query(`INSERT INTO events (realm_id, kind, time, type, representation, prev_mac, mac) VALUES ${rows.join(', ')}`, params);
      });
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }
}

export async function listEvents(db: SqlClient, realmId: string, kind: EventKind, filter: { type?: string[]; first?: number; max?: number } = {}): Promise<StoredEvent[]> {
  const rows = await db.query<{ id: string; realm_id: string; kind: EventKind; time: string; type: string; representation: Record<string, unknown> }>(
    `SELECT id, realm_id, kind, time, type, representation FROM events WHERE realm_id = $1 AND kind = $2 AND ($3::text[] IS NULL OR type = ANY($3))
     ORDER BY id DESC LIMIT $4 OFFSET $5`,
    [realmId, kind, filter.type?.length ? filter.type : null, filter.max ?? 100, filter.first ?? 0],
  );
  return rows.map((r) => ({ id: Number(r.id), realmId: r.realm_id, kind: r.kind, time: Number(r.time), type: r.type, representation: r.representation }));
}

/** Walks every realm's chain; returns one line per broken link (empty when intact). */
export async function verifyEvents(db: SqlClient, key: Buffer, realmId?: string): Promise<string[]> {
  const rows = await db.query<{ id: string; realm_id: string; kind: EventKind; time: string; type: string; representation: Record<string, unknown>; prev_mac: string; mac: string }>(
    `SELECT id, realm_id, kind, time, type, representation, prev_mac, mac FROM events WHERE ($1::text IS NULL OR realm_id = $1) ORDER BY realm_id, id`, [realmId ?? null]);
  const problems: string[] = [];
  const lastMac = new Map<string, { mac: string; id: number }>();
  for (const r of rows) {
    const previous = lastMac.get(r.realm_id);
    const expectedPrev = previous?.mac ?? GENESIS;
    if (r.prev_mac !== expectedPrev) problems.push(`realm ${r.realm_id}: event ${r.id} does not follow ${previous ? `event ${previous.id}` : 'the start of the chain'}: an event before it was deleted`);
    const event = { realmId: r.realm_id, kind: r.kind, time: Number(r.time), type: r.type, representation: r.representation };
    if (macOf(key, r.prev_mac, event) !== r.mac) problems.push(`realm ${r.realm_id}: event ${r.id} (${r.type}) was modified`);
    lastMac.set(r.realm_id, { mac: r.mac, id: Number(r.id) });
  }
  return problems;
}
