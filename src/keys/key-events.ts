/**
 * What every key change records: a `key_events` row (kid, alg, component, action, actor) and a new
 * realm version, so every process rebuilds that realm's keys (runtime/registry.ts).
 */
import type { SqlClient } from '../store/sql.ts';

export async function bumpRealmVersion(db: SqlClient, realmId: string): Promise<void> {
  await db.query('UPDATE realms SET version = version + 1, updated_at = now() WHERE id = $1', [
    realmId,
  ]);
}

export async function recordKeyEvent(
  db: SqlClient,
  realmId: string,
  event: { kid?: string; alg?: string; componentId?: string; action: string; actor: string },
): Promise<void> {
  await db.query(
    'INSERT INTO key_events (realm_id, kid, alg, component_id, action, actor) VALUES ($1, $2, $3, $4, $5, $6)',
    [
      realmId,
      event.kid ?? null,
      event.alg ?? null,
      event.componentId ?? null,
      event.action,
      event.actor,
    ],
  );
}
