/**
 * The deletion guard (issue 19; the QSIGN seeds' rotation: "delete refused while active tokens
 * exist"): a key that signed tokens still valid cannot be deleted or disabled before they expire.
 * Keycloak refuses nothing here (ComponentResource.removeComponent deletes at once): a deliberate
 * difference, docs/keycloak-compatibility.md.
 *
 * A key is removable after `signed_until + max(signed_lifetime, the realm's token lifetime now)`
 * (keys/signature-ledger.ts writes both ahead of signing; keys/token-lifetime.ts the lifetime):
 * the realm's current lifetime counts too, as a lengthened session lifespan lengthens the life
 * of refresh tokens signed before. A key that never signed is removable at once. A DISABLED key
 * verifies nothing any more, so removing it changes nothing.
 */
import type { SqlClient } from '../store/sql.ts';
import type { SignerStatus } from '../signer/signer.ts';
import { ComponentError } from './component-model.ts';
import { listKeys, type KeyRecord } from './repository.ts';
import { recordKeyEvent } from './key-events.ts';
import { tokenLifetime, type TokenLifespans } from './token-lifetime.ts';

/** What the guard reads of a key (a KeyRecord fits). */
export interface GuardedKey {
  kid: string;
  alg: string;
  status: SignerStatus;
  componentId: string;
  signedUntil?: Date | null;
  signedLifetime?: number | null;
}

/**
 * When every token the key signed has expired: `signedUntil` plus the longer of the lifetime
 * recorded when it signed and `currentLifetime` (seconds), rounded up to the second; null when
 * the key never signed (removable now). Pure.
 */
export function removableAfter(
  key: Pick<GuardedKey, 'signedUntil' | 'signedLifetime'>,
  currentLifetime: number,
): Date | null {
  if (!key.signedUntil) return null;
  const lifetime = Math.max(key.signedLifetime ?? 0, currentLifetime);
  return new Date(Math.ceil((key.signedUntil.getTime() + lifetime * 1000) / 1000) * 1000);
}

/** A key removed (deleted or disabled) while tokens it signed are valid: 400 with Keycloak's `{"errorMessage"}`. */
export class KeyInUseError extends ComponentError {
  readonly kid: string;
  readonly removableAt: Date;
  constructor(kid: string, alg: string, removableAt: Date) {
    super(
      `refused: key ${kid} (${alg}) signed tokens that are valid until ${removableAt.toISOString()}; it can be deleted or disabled from ${removableAt.toISOString()} on (force=true overrides)`,
    );
    this.name = 'KeyInUseError';
    this.kid = kid;
    this.removableAt = removableAt;
  }
}

/** Keys that verified before (ACTIVE or PASSIVE) and do not after (DISABLED or gone). Pure. */
export function keysLeaving<K extends GuardedKey>(before: K[], after: GuardedKey[]): K[] {
  const now = new Map(after.map((k) => [k.kid, k.status]));
  return before.filter(
    (k) => k.status !== 'DISABLED' && (now.get(k.kid) ?? 'DISABLED') === 'DISABLED',
  );
}

/** The leaving keys not yet removable at `now` (epoch ms), with the time they are. Pure. */
export function unremovable(
  leaving: GuardedKey[],
  doc: TokenLifespans,
  now: number,
): { key: GuardedKey; at: Date }[] {
  return leaving.flatMap((key) => {
    const at = removableAfter(key, tokenLifetime(doc, key.alg));
    return at && at.getTime() > now ? [{ key, at }] : [];
  });
}

/**
 * Call after a change (delete, disable) inside its transaction, with the realm's keys from before
 * it: refuses, so the transaction rolls back, when a key that verified before and does not now
 * signed tokens still valid; with `force`, lets it through and records a `key_events` row per such
 * key ("removed by force while its tokens are valid until ..."). Returns the kids forced.
 * @throws KeyInUseError (400) naming the first such key and the ISO time it becomes removable.
 */
export async function guardRemoval(
  tx: SqlClient,
  realm: { id: string; doc: TokenLifespans },
  before: KeyRecord[],
  options: { force?: boolean; actor: string; now?: number },
): Promise<string[]> {
  const blocked = unremovable(
    keysLeaving(before, await listKeys(tx, realm.id)),
    realm.doc,
    options.now ?? Date.now(),
  );
  if (!blocked.length) return [];
  if (!options.force)
    throw new KeyInUseError(blocked[0].key.kid, blocked[0].key.alg, blocked[0].at);
  for (const { key, at } of blocked) {
    await recordKeyEvent(tx, realm.id, {
      kid: key.kid,
      alg: key.alg,
      componentId: key.componentId,
      action: `removed by force while its tokens are valid until ${at.toISOString()}`,
      actor: options.actor,
    });
  }
  return blocked.map((b) => b.key.kid);
}
