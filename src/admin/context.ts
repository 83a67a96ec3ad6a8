/**
 * What every admin handler needs: the store, the realm registry (to drop a realm's runtime after
 * a change), the key-encryption key, the public base URL (for `Location` headers), and helpers to
 * load the realm a path names and to commit a change to it.
 */
import type { EventWriter } from '../events/store.ts';
import type { Context } from 'koa';
import type { Logger } from '../log.ts';
import type { SqlClient } from '../store/sql.ts';
import type { RealmRegistry } from '../runtime/registry.ts';
import { findRealm, type StoredRealm } from '../store/realms.ts';
import { assertJsonDepth, JsonDepthError, MAX_JSON_DEPTH } from '../json-depth.ts';
import { badRequest, notFound } from './errors.ts';
import { requireRealmAdmin, type AdminIdentity } from './auth.ts';

export interface AdminDeps {
  db: SqlClient;
  registry: RealmRegistry;
  kek: Buffer;
  baseUrl: string;
  log: Logger;
  /** The server's event writer (services.ts), which admin events are appended through. */
  events: EventWriter;
}

export interface RealmScope {
  realm: StoredRealm;
  admin: AdminIdentity;
}

/** The realm named by `:realm`, after checking the caller administers it. @throws AdminError 403/404 */
export async function realmScope(deps: AdminDeps, ctx: Context): Promise<RealmScope> {
  const name = String(ctx.params.realm);
  const admin = requireRealmAdmin(ctx, name);
  const realm = await findRealm(deps.db, name);
  if (!realm) throw notFound('Realm not found.');
  return { realm, admin };
}

/** 201 Created with Keycloak's absolute `Location`. */
export function created(ctx: Context, deps: AdminDeps, path: string): void {
  ctx.body = null; // (before the status: Koa turns a null body into 204)
  ctx.status = 201;
  ctx.set('Location', `${deps.baseUrl}/admin/realms${path}`);
}

export function noContent(ctx: Context): void {
  ctx.status = 204;
  ctx.body = null;
}

/** Runs a change in one transaction, then makes the realm's next request use it. */
export async function commit<T>(
  deps: AdminDeps,
  realmName: string,
  change: (tx: SqlClient) => Promise<T>,
): Promise<T> {
  const result = await deps.db.transaction(change);
  deps.registry.invalidate(realmName);
  return result;
}

/** The parsed JSON body (object), or a 400. */
export function jsonBody<T = Record<string, unknown>>(ctx: Context): T {
  const body = (ctx.request as unknown as { body?: unknown }).body;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('request body must be a JSON object');
  return body as T;
}

/**
 * A string the store can hold: PostgreSQL text and jsonb refuse U+0000 and lone UTF-16
 * surrogates (SQLSTATE 22P05 / 22021 / 22P02), which would otherwise surface as a 500.
 */
export const storable = (s: string) => !s.includes('\u0000') && s.isWellFormed();

/**
 * Checks a parsed admin request body before any handler copies or validates it: nested at most
 * MAX_JSON_DEPTH levels (deeper JSON overflowed the stack of the recursive code after the parser:
 * a 500 RangeError), and every string and key storable. Walks without recursion.
 * @throws AdminError 400 `{"errorMessage": "..."}` (Keycloak's body for a JSON it cannot read)
 */
export function assertAdminBody(body: unknown): void {
  try {
    assertJsonDepth(body, MAX_JSON_DEPTH);
  } catch (err) {
    if (err instanceof JsonDepthError) throw badRequest(`Cannot parse the JSON: ${err.message}`);
    throw err;
  }
  const stack: unknown[] = [body];
  while (stack.length) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (!storable(node))
        throw badRequest('Cannot parse the JSON: a string holds U+0000 or a lone surrogate');
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (!storable(key))
          throw badRequest('Cannot parse the JSON: a key holds U+0000 or a lone surrogate');
        stack.push(value);
      }
    }
  }
}
