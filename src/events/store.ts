/**
 * Keycloak-style events: login events (LOGIN, LOGIN_ERROR, CODE_TO_TOKEN, REFRESH_TOKEN,
 * CLIENT_LOGIN, LOGOUT) and admin events (CREATE, UPDATE, DELETE with the resource path), kept in
 * the store and readable through the admin API. Every event is chained to the previous event of its
 * realm: mac = HMAC-SHA-256(key, prev_mac ‖ 0x00 ‖ canonical JSON of the event), the key derived
 * from KEY_ENCRYPTION_KEY (HKDF, "events chain v1"). Editing an event breaks its mac; deleting one
 * breaks the next event's prev_mac. Appends are serialised per realm with an advisory lock.
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

/** Appends one event to its realm's chain (one short transaction). */
export async function appendEvent(db: SqlClient, key: Buffer, input: Omit<StoredEvent, 'id'>): Promise<void> {
  // The mac covers exactly what is stored: JSON drops undefined members.
  const event = { ...input, representation: JSON.parse(JSON.stringify(input.representation)) as Record<string, unknown> };
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('qsign-events:' || $1))", [event.realmId]);
    const [last] = await tx.query<{ mac: string }>('SELECT mac FROM events WHERE realm_id = $1 ORDER BY id DESC LIMIT 1', [event.realmId]);
    const prevMac = last?.mac ?? GENESIS;
    await tx.query('INSERT INTO events (realm_id, kind, time, type, representation, prev_mac, mac) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [event.realmId, event.kind, event.time, event.type, JSON.stringify(event.representation), prevMac, macOf(key, prevMac, event)]);
  });
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
