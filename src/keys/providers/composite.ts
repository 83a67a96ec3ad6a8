/**
 * `composite` (ours): one key made of two keys of the realm, in any back end. Config `members` =
 * [ML-DSA kid, traditional kid], `algorithm` ML-DSA-65 with RS256, PS256 or ES256 (the
 * traditional member RSA-3072 or P-256), kid `composite-{component id prefix}`. The ML-DSA member
 * must be able to sign with a context (local, seed-wrapped, or an `ml-dsa-65` key of the QSIGN
 * `oqs-transit` Vault plugin; not Vault's own `ml-dsa`, not native PKCS#11).
 * Members must never have been published (draft-ietf-jose-pq-composite-sigs-05 §6.2: key material
 * published as a JWK MUST NOT be reused in a composite): keys made DISABLED (`enabled: false`) for
 * this, which the JWKS never shows. Checked when a composite is made (its members cannot change
 * afterwards); composites made before the rule keep working. Nothing is read from a back end: the
 * members' public keys are the realm's rows.
 */
import { KeyUnusableError } from '../../errors.ts';
import { z } from 'zod';
import type { SqlClient } from '../../store/sql.ts';
import { CompositeSigner } from '../../signer/composite.ts';
import { COMPOSITE_MEMBERS, compositePublicJwk } from '../../jose/composite.ts';
import { listKeys, type KeyRecord } from '../repository.ts';
import {
  ComponentError,
  type KeyProviderSettings,
  type StoredComponent,
} from '../component-model.ts';
import { bumpRealmVersion, recordKeyEvent } from '../key-events.ts';
import { restateAll, upsertBackendKey } from './backend-keys.ts';
import { COMPOSITE_ALGS } from './composite-generated.ts';
import { CONTEXT_KEY_TYPES } from '../../signer/vault/signer.ts';
import type { BackendRead, ExternalKeyProvider, SignerContext } from './types.ts';

/**
 * Whether this key material is or was published in a JWKS: any key row of any realm with the same
 * public key (RSA `n`, EC `x`/`y`, AKP `pub`, OQS `x`) as the realm's key `kid`, so also when the
 * same HSM or Vault key is registered again under another provider, that is not DISABLED or was
 * ever ACTIVE or PASSIVE (`published_at`). Public material only: nothing of another
 * realm is returned.
 */
async function everPublished(db: SqlClient, realmId: string, kid: string): Promise<boolean> {
  const rows = await db.query(
    `WITH material AS (SELECT concat(public_jwk->>'n', public_jwk->>'x', public_jwk->>'y', public_jwk->>'pub') AS m FROM keys WHERE realm_id = $1 AND kid = $2)
     SELECT 1 FROM keys k, material WHERE concat(k.public_jwk->>'n', k.public_jwk->>'x', k.public_jwk->>'y', k.public_jwk->>'pub') = material.m AND material.m <> ''
       AND (k.status <> 'DISABLED' OR k.published_at IS NOT NULL)
     LIMIT 1`,
    [realmId, kid],
  );
  return rows.length > 0;
}

/** The two member keys, checked against the alg. @throws ComponentError (field `members`). */
function members(
  keys: KeyRecord[],
  settings: KeyProviderSettings,
  [mlDsaKid, tradKid]: string[],
): [KeyRecord, KeyRecord] {
  const spec = COMPOSITE_MEMBERS[settings.alg];
  const mlDsa = keys.find((k) => k.kid === mlDsaKid);
  const trad = keys.find((k) => k.kid === tradKid);
  if (!mlDsa || mlDsa.alg !== 'ML-DSA-65')
    throw new ComponentError(
      `config.members[0] must be an ML-DSA-65 key of the realm, got ${mlDsa ? mlDsa.alg : 'no such kid'}`,
      'members',
    );
  const ref = mlDsa.backendRef as { mode?: string; keyType?: string } | null;
  if (
    (mlDsa.backend === 'vault-transit' && !CONTEXT_KEY_TYPES.has(ref?.keyType ?? '')) ||
    (mlDsa.backend === 'pkcs11' && ref?.mode === 'native')
  ) {
    throw new ComponentError(
      "config.members[0]: this Vault ML-DSA key (Vault's own ml-dsa type) or native PKCS#11 key cannot sign with a context, which the composite needs (use a local, seed-wrapped or oqs-transit ml-dsa-65 key)",
      'members',
    );
  }
  if (!trad || trad.alg !== spec.traditional)
    throw new ComponentError(
      `config.members[1] must be a ${spec.traditional} key of the realm, got ${trad ? trad.alg : 'no such kid'}`,
      'members',
    );
  if (!mlDsa.publicJwk || !trad.publicJwk)
    throw new ComponentError('the member keys have no recorded public key', 'members');
  if (
    spec.kind !== 'ECDSA-P256' &&
    Buffer.from(trad.publicJwk.n as string, 'base64url').length !== 384
  )
    throw new ComponentError('config.members[1]: the composite needs an RSA-3072 key', 'members');
  return [mlDsa, trad];
}

async function apply(
  db: SqlClient,
  realmId: string,
  component: StoredComponent,
  settings: KeyProviderSettings,
  _read: BackendRead,
  actor: string,
): Promise<boolean> {
  const [mlDsaKid, tradKid] = component.config.members;
  const keys = await listKeys(db, realmId);
  const [mlDsa, trad] = members(keys, settings, component.config.members);
  const kid = `composite-${component.id.slice(0, 8)}`;
  const existing = keys.find((k) => k.kid === kid && k.componentId === component.id);
  if (!existing) {
    for (const member of [mlDsa, trad]) {
      if (await everPublished(db, realmId, member.kid)) {
        throw new ComponentError(
          `config.members: key ${member.kid} is or was published in the JWKS; a composite needs member keys made for it, never published (create them with enabled: false)`,
          'members',
        );
      }
    }
  }
  if (existing && existing.status === settings.status && existing.priority === settings.priority)
    return false;
  await upsertBackendKey(db, realmId, {
    kid,
    alg: settings.alg,
    providerId: 'composite',
    priority: settings.priority,
    status: settings.status,
    componentId: component.id,
    backend: 'composite',
    backendRef: { members: [mlDsaKid, tradKid] },
    publicJwk: compositePublicJwk(settings.alg, mlDsa.publicJwk!, trad.publicJwk!),
  });
  await recordKeyEvent(db, realmId, {
    kid,
    alg: settings.alg,
    componentId: component.id,
    action: existing
      ? `set ${settings.status}`
      : `composite of ${mlDsaKid} and ${tradKid}: ${settings.status}`,
    actor,
  });
  await bumpRealmVersion(db, realmId);
  return true;
}

/** Signs with both members at once (their signers, built before the realm's composites). */
function signer(record: KeyRecord, _component: StoredComponent, context: SignerContext) {
  const [mlDsaKid, tradKid] = (record.backendRef as { members: string[] }).members;
  const mlDsa = context.byKid(mlDsaKid);
  const traditional = context.byKid(tradKid);
  if (!mlDsa || !traditional)
    throw new KeyUnusableError(
      `composite key ${record.kid}: member ${mlDsa ? tradKid : mlDsaKid} is missing`,
    );
  return new CompositeSigner({
    alg: record.alg,
    kid: record.kid,
    mlDsa,
    traditional,
    publicJwk: record.publicJwk!,
  });
}

const membersMessage =
  'config.members must name two keys of the realm: [ML-DSA kid, traditional kid]';

export const composite: ExternalKeyProvider = {
  kind: 'external',
  id: 'composite',
  fallbackAlg: 'ML-DSA-65-RS256',
  algorithms: COMPOSITE_ALGS,
  schema: z.looseObject({
    members: z
      .array(z.string(), { error: membersMessage })
      .refine((list) => Boolean(list[0] && list[1]), membersMessage),
  }),
  identityFields: ['members'],
  read: async (_db, _backends, _realm, component) => ({
    providerId: 'composite',
    componentId: component.id,
  }),
  apply,
  restate: restateAll,
  signer,
};
