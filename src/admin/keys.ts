/**
 * `GET /admin/realms/{realm}/keys` (Keycloak KeysMetadataRepresentation) and the components
 * resource for key providers and rotation policies (`/admin/realms/{realm}/components`).
 * Deleting or disabling a key whose tokens are still valid is refused (400, Keycloak's
 * `{"errorMessage"}` as ComponentResource's ErrorResponse.error(message, BAD_REQUEST) gives it),
 * unless `?force=true`: keys/removal-guard.ts.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import type Router from '@koa/router';
import type { JWK } from 'jose';
import { listKeys, recordPublicJwk, type KeyRecord } from '../keys/repository.ts';
import {
  assertRequiredKeys,
  createKeyProvider,
  deleteComponent,
  findComponent,
  findComponents,
  updateKeyProvider,
  KEY_PROVIDER_TYPE,
  ROTATION_POLICY_TYPE,
  SECRET_CONFIG_KEYS,
  type ComponentRepresentation,
  type StoredComponent,
} from '../keys/providers.ts';
import { createRotationPolicy, updateRotationPolicy } from '../keys/providers/rotation-policy.ts';
import { requiredAlgs } from '../keys/required.ts';
import { badRequest, notFound } from './errors.ts';
import { commit, created, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';
import { signerFor } from '../keys/signers.ts';
import { readNewKeyProvider } from '../keys/external.ts';
import { guardRemoval } from '../keys/removal-guard.ts';
import type { Context, Middleware } from 'koa';

/**
 * `?force=true`: remove (delete, disable) a key whose tokens are still valid (keys/removal-guard.ts).
 * The kids forced go into the admin event's `details` (`force`, `forcedKids`), beside its actor.
 */
const forced = (ctx: Context) => ctx.query.force === 'true';
const noteForced = (ctx: Context, kids: string[]) => {
  if (kids.length) ctx.state.adminEventDetails = { force: 'true', forcedKids: kids.join(',') };
};

const KTY_TYPE: Record<string, string> = {
  RSA: 'RSA',
  EC: 'EC',
  OKP: 'OKP',
  AKP: 'AKP',
  OQS: 'OQS',
};

/** Keycloak's `publicKey`: base64 SPKI DER for RSA/EC/OKP; for AKP and OQS keys the raw public key. */
function publicKeyOf(jwk: JWK | undefined): string | undefined {
  if (!jwk) return undefined;
  if (jwk.kty === 'AKP') return Buffer.from(jwk.pub as string, 'base64url').toString('base64');
  if (jwk.kty === 'OQS') return Buffer.from(jwk.x as string, 'base64url').toString('base64');
  return createPublicKey({ key: jwk, format: 'jwk' } as never)
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
}

const representation = (c: StoredComponent) => ({
  id: c.id,
  name: c.name,
  providerId: c.providerId,
  providerType: c.providerType,
  parentId: c.parentId,
  ...(c.subType ? { subType: c.subType } : {}),
  config: Object.fromEntries(Object.entries(c.config).filter(([k]) => !SECRET_CONFIG_KEYS.has(k))),
});

/**
 * The public JWK of a local key stored before public JWKs were recorded, recorded on its row for
 * the next listing; undefined when the key cannot be opened.
 */
async function derivedPublicJwk(deps: AdminDeps, record: KeyRecord): Promise<JWK | undefined> {
  let jwk: JWK | undefined;
  try {
    jwk = signerFor(record, {
      kek: deps.kek,
      components: new Map(),
      byKid: () => undefined,
    }).publicJwk();
  } catch {
    return undefined;
  }
  // Best effort: a failed write only means the next listing derives it again.
  if (jwk) await recordPublicJwk(deps.db, record.realmId, record.kid, jwk).catch(() => undefined);
  return jwk;
}

/**
 * KeyResource's `certificate` (base64 DER, as PemUtils.encodeCertificate) and `validTo` (its
 * notAfter, epoch ms) of a key whose provider holds a certificate (a Keycloak export's RSA keys);
 * nothing for a key without one, or with one that does not parse.
 */
function certificateOf(component: StoredComponent | undefined) {
  const raw = component?.config.certificate;
  const pem = Array.isArray(raw) ? raw[0] : raw;
  if (typeof pem !== 'string' || !pem.trim()) return {};
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  try {
    const cert = new X509Certificate(Buffer.from(body, 'base64'));
    return { certificate: body, validTo: new Date(cert.validTo).getTime() };
  } catch {
    return {};
  }
}

/** GET /:realm/keys */
const listRealmKeys =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    // Signing and encryption keys alike, as Keycloak's KeyResource lists every key with its `use`.
    const records = [
      ...(await listKeys(deps.db, realm.id)),
      ...(await listKeys(deps.db, realm.id, 'enc')),
    ];
    const order = { ACTIVE: 0, PASSIVE: 1, DISABLED: 2 } as const;
    records.sort(
      (a, b) =>
        order[a.status] - order[b.status] ||
        b.priority - a.priority ||
        b.createdAt.getTime() - a.createdAt.getTime(),
    );
    const components = new Map(
      (await findComponents(deps.db, realm.id, { type: KEY_PROVIDER_TYPE })).map((c) => [c.id, c]),
    );
    const active: Record<string, string> = {};
    const keys = await Promise.all(
      records.map(async (r) => {
        // null for HMAC (oct) keys, which have no public part, and for local keys stored before the
        // public JWK was recorded: those derive it from the key once (decrypted here, as the realm
        // does); one that cannot be opened is listed without its public key rather than failing the list.
        // Encryption keys always have theirs recorded (none for AES: type OCT).
        const jwk =
          r.publicJwk ??
          (r.backend === 'local' && r.use !== 'enc' && !r.alg.startsWith('HS')
            ? await derivedPublicJwk(deps, r)
            : undefined);
        if (r.status === 'ACTIVE' && !active[r.alg]) active[r.alg] = r.kid;
        return {
          providerId: r.componentId,
          providerPriority: r.priority,
          kid: r.kid,
          status: r.status,
          type: jwk ? (KTY_TYPE[jwk.kty as string] ?? jwk.kty) : 'OCT',
          algorithm: r.alg,
          ...(jwk ? { publicKey: publicKeyOf(jwk) } : {}),
          ...certificateOf(components.get(r.componentId)),
          use: r.use === 'enc' ? 'ENC' : 'SIG',
        };
      }),
    );
    ctx.body = { active, keys };
  };

/** GET /:realm/components */
const listComponents =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const q = ctx.query as Record<string, string | undefined>;
    ctx.body = (
      await findComponents(deps.db, realm.id, { type: q.type, parent: q.parent, name: q.name })
    ).map(representation);
  };

/** GET /:realm/components/:id */
const getComponent =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const component = await findComponent(deps.db, realm.id, ctx.params.id);
    if (!component) throw notFound('Could not find component');
    ctx.body = representation(component);
  };

/** POST /:realm/components */
const createComponent =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm, admin } = await realmScope(deps, ctx);
    const rep = jsonBody<ComponentRepresentation>(ctx);
    const type = rep.providerType ?? KEY_PROVIDER_TYPE;
    if (rep.parentId !== undefined && rep.parentId !== realm.id && rep.parentId !== realm.name)
      throw badRequest('parentId must be the realm id', 'parentId');
    let id: string;
    if (type === KEY_PROVIDER_TYPE) {
      // A back end (Vault, HSM) is read first, outside the transaction; an `id` in the body is ignored.
      const read = await readNewKeyProvider(deps.db, deps.registry.backends, realm, rep);
      id = await commit(deps, realm.name, async (tx) => {
        const newId = await createKeyProvider(tx, deps.kek, realm.id, rep, admin.username, read);
        await assertRequiredKeys(tx, realm.id, requiredAlgs(realm.doc));
        return newId;
      });
    } else if (type === ROTATION_POLICY_TYPE) {
      id = await commit(deps, realm.name, (tx) =>
        createRotationPolicy(tx, realm.id, rep, admin.username),
      );
    } else {
      throw badRequest(
        `unsupported providerType "${type}" (supported: ${KEY_PROVIDER_TYPE}, ${ROTATION_POLICY_TYPE})`,
        'providerType',
      );
    }
    created(ctx, deps, `/${realm.name}/components/${id}`);
  };

/** PUT /:realm/components/:id */
const updateComponent =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm, admin } = await realmScope(deps, ctx);
    const rep = jsonBody<ComponentRepresentation>(ctx);
    await commit(deps, realm.name, async (tx) => {
      const current = await findComponent(tx, realm.id, ctx.params.id, true);
      if (!current) throw notFound('Could not find component');
      if (current.providerType === ROTATION_POLICY_TYPE) {
        await updateRotationPolicy(tx, realm.id, current, rep, admin.username);
        return;
      }
      const before = await listKeys(tx, realm.id);
      await updateKeyProvider(tx, realm.id, current, rep, admin.username, {
        checkBackend: (name, backendType) => {
          deps.registry.backends.declaration(name, backendType, realm.name);
        },
      });
      await assertRequiredKeys(tx, realm.id, requiredAlgs(realm.doc));
      // Disabling (enabled false) a key whose tokens are valid is refused; active false (PASSIVE) is not: it still verifies.
      noteForced(
        ctx,
        await guardRemoval(tx, realm, before, { force: forced(ctx), actor: admin.username }),
      );
    });
    noContent(ctx);
  };

/** DELETE /:realm/components/:id */
const deleteComponentAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm, admin } = await realmScope(deps, ctx);
    await commit(deps, realm.name, async (tx) => {
      const current = await findComponent(tx, realm.id, ctx.params.id, true);
      if (!current) throw notFound('Could not find component');
      const before = await listKeys(tx, realm.id);
      await deleteComponent(tx, realm.id, current, admin.username);
      await assertRequiredKeys(tx, realm.id, requiredAlgs(realm.doc));
      noteForced(
        ctx,
        await guardRemoval(tx, realm, before, { force: forced(ctx), actor: admin.username }),
      );
    });
    noContent(ctx);
  };

export function keyRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/keys', listRealmKeys(deps));
  router.get('/:realm/components', listComponents(deps));
  router.get('/:realm/components/:id', getComponent(deps));
  router.post('/:realm/components', createComponent(deps));
  router.put('/:realm/components/:id', updateComponent(deps));
  router.delete('/:realm/components/:id', deleteComponentAction(deps));
}
