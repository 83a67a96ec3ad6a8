/**
 * The realm registry: realm name -> the runtime serving it (realm model, keys, oidc-provider
 * instance mounted at `/realms/{realm}`). Runtimes are built on first use (about a millisecond
 * plus key decryption) and cached. Changes take effect without a restart:
 * - in this process, `invalidate` drops the runtime, so the next request builds it anew;
 * - from other processes (CLI, other replicas), every realm change bumps the realm's version in
 *   the store, and a request that finds its runtime checked more than a second ago re-reads the
 *   version in the background and swaps in a new runtime when it changed.
 * Requests in flight keep the runtime they started with, so a swap never fails them.
 */
import { mailVerifyEmailSender } from '../email/verify-email-sender.ts';
import { createPublicKey, hkdfSync } from 'node:crypto';
import mount from 'koa-mount';
import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';
import type { SqlClient } from '../store/sql.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { findRealm, listRealms, realmVersion } from '../store/realms.ts';
import { loadRealmKeys, type RealmKeys } from '../keys/realm-keys.ts';
import { SignatureLedger, withSignatureLedger } from '../keys/signature-ledger.ts';
import { UnavailableSigner } from '../signer/unavailable.ts';
import type { Backends } from '../signer/backends.ts';
import { jwksMaxAge } from '../keys/rotation.ts';
import { eventKey } from '../events/store.ts';
import type { Services } from '../services.ts';
import { savesLoginEvent } from '../events/config.ts';
import { RealmModel } from '../model/model.ts';
import { buildProvider } from '../oidc/provider.ts';
import type { RealmContext } from '../oidc/realm-context.ts';
import { PROTOCOL } from '../routes.ts';

/**
 * The HMAC-SHA256 key of a realm's action tokens (Keycloak signs them with the realm's HMAC key):
 * derived from KEY_ENCRYPTION_KEY and the realm id, so every replica agrees and no realm's token
 * verifies in another.
 */
const actionTokenKey = (kek: Buffer, realmId: string) =>
  new Uint8Array(hkdfSync('sha256', kek, 'qsign-oidc', `action tokens v1\0${realmId}`, 32));

export interface RealmRuntime {
  version: number;
  rc: RealmContext;
  provider: Provider;
  /** oidc-provider mounted under `/realms/{realm}` (koa-mount). */
  mounted: Middleware;
  /** Pre-serialised JWKS (RFC 7517) of the realm's enabled keys. */
  jwksJson: string;
  /** `/certs` Cache-Control max-age (seconds), below the shortest key pre-publication window. */
  jwksMaxAge: number;
  /** Keycloak's PublishedRealmRepresentation for `GET /realms/{realm}`. */
  realmInfo: Record<string, unknown>;
}

const NEGATIVE_TTL_MS = 2_000;

/**
 * Whether a realm could have this name: not empty, at most 255 characters (Keycloak's REALM.NAME
 * column), well-formed Unicode, no control character. Anything else (a NUL from `%00`, which
 * PostgreSQL text cannot hold) is no realm, without asking the store.
 */
export function isPossibleRealmName(name: string): boolean {
  return (
    name.length > 0 && name.length <= 255 && name.isWellFormed() && !/[\x00-\x1f\x7f]/.test(name)
  );
}
/** RealmsResource's realm info (`GET /realms/{realm}`): the RS256 public key (SPKI, base64) and the service URLs. */
function realmInfoOf(name: string, issuer: string, realm: RealmModel, keys: RealmKeys) {
  const rsa = keys.activeFor('RS256')?.publicJwk();
  return {
    realm: name,
    public_key: rsa
      ? createPublicKey({ key: rsa, format: 'jwk' } as never)
          .export({ type: 'spki', format: 'der' })
          .toString('base64')
      : undefined,
    'token-service': `${issuer}${PROTOCOL}`,
    'account-service': `${issuer}/account`,
    'tokens-not-before': realm.rep.notBefore,
  };
}

type StoredRealmRow = NonNullable<Awaited<ReturnType<typeof findRealm>>>;

/** Names remembered as missing at most: random realm names in URLs must not grow memory. */
export const NEGATIVE_CACHE_MAX = 1_000;
const VERSION_CHECK_MS = 1_000;

interface Entry {
  runtime: Promise<RealmRuntime | undefined>;
  checkedAt: number;
  checking?: Promise<void>;
}

export class RealmRegistry {
  readonly #db: SqlClient;
  readonly #config: Config;
  readonly #log: Logger;
  /** Keys for signed cookies (HKDF from the KEK, so every replica agrees); the outer Koa app needs them too. */
  readonly cookieKeys: string[];
  readonly #runtimes = new Map<string, Entry>();
  readonly #missing = new Map<string, number>();
  readonly #eventsKey: Buffer;

  /** The server's signing back ends (signer/backends.ts), which the realms' back-end keys sign on. */
  readonly backends: Backends;
  /** The server's services (services.ts): the realms' signers, events and counters use them. */
  readonly services: Services;

  constructor(db: SqlClient, config: Config, log: Logger, services: Services) {
    this.services = services;
    this.backends = services.backends;
    this.#db = db;
    this.#config = config;
    this.#log = log;
    this.#eventsKey = eventKey(config.keyEncryptionKey);
    this.cookieKeys = [
      Buffer.from(
        hkdfSync('sha256', config.keyEncryptionKey, 'qsign-oidc', 'cookie signing key v1', 32),
      ).toString('base64'),
    ];
  }

  /** True while `loadAll` runs: readiness answers DOWN until every realm's keys are loaded. */
  loadingRealms = false;

  /**
   * Loads every stored realm (process start), so the first requests do not pay for it and
   * readiness checks the back ends of every realm's keys from its first UP. Retries every second
   * while the store cannot list the realms; a realm that fails to load is left to its first request.
   */
  async loadAll(): Promise<void> {
    this.loadingRealms = true;
    try {
      for (;;) {
        const realms = await listRealms(this.#db).catch(() => undefined);
        if (realms) {
          await Promise.all(realms.map((r) => this.get(r.name).catch(() => undefined)));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    } finally {
      this.loadingRealms = false;
    }
  }

  /** The realm's runtime, or undefined when no such realm exists. @throws StoreUnavailableError */
  async get(name: string): Promise<RealmRuntime | undefined> {
    if (!isPossibleRealmName(name)) return undefined;
    const missingSince = this.#missing.get(name);
    if (missingSince && Date.now() - missingSince < NEGATIVE_TTL_MS) return undefined;
    let entry = this.#runtimes.get(name);
    if (!entry) {
      const runtime = this.#build(name);
      entry = { runtime, checkedAt: Date.now() };
      this.#runtimes.set(name, entry);
      runtime.then(
        (r) => {
          if (!r) {
            this.#runtimes.delete(name);
            this.#rememberMissing(name);
          }
        },
        () => this.#runtimes.delete(name),
      );
    } else if (!entry.checking && Date.now() - entry.checkedAt > VERSION_CHECK_MS) {
      entry.checking = this.#refresh(name, entry).finally(() => {
        entry!.checking = undefined;
      });
    }
    return entry.runtime;
  }

  /** Names remembered as missing now (at most NEGATIVE_CACHE_MAX). */
  get missingCount(): number {
    return this.#missing.size;
  }

  /** Remembers `name` as missing for NEGATIVE_TTL_MS; expired entries go first, then the oldest. */
  #rememberMissing(name: string): void {
    this.#missing.delete(name);
    const now = Date.now();
    for (const [other, since] of this.#missing) {
      if (this.#missing.size < NEGATIVE_CACHE_MAX && now - since < NEGATIVE_TTL_MS) break;
      this.#missing.delete(other);
    }
    this.#missing.set(name, now);
  }

  /** Background check of the stored version; swaps in a new runtime when it changed. */
  async #refresh(name: string, entry: Entry): Promise<void> {
    try {
      entry.checkedAt = Date.now();
      const [current, version] = await Promise.all([entry.runtime, realmVersion(this.#db, name)]);
      if (version === undefined) {
        this.invalidate(name);
        return;
      }
      if (current && current.version === version) return;
      const fresh = await this.#build(name);
      if (this.#runtimes.get(name) === entry) entry.runtime = Promise.resolve(fresh);
    } catch (err) {
      this.#log.warn(
        { realm: name, err: { message: (err as Error).message } },
        'realm refresh failed; serving the previous version',
      );
    }
  }

  /**
   * What readiness needs to know of the loaded realms' signing keys (ACTIVE keys and composite
   * members; PASSIVE keys only verify, with their public keys): `backends`, the back ends they
   * need (Signer#backendId), and `unavailable`, DOWN checks for keys whose signer could not be
   * built on this node (module or credentials missing, composite member gone), naming realm and
   * kid, so a load balancer prefers nodes that can sign with every key.
   */
  async signingKeyHealth(): Promise<{
    backends: Set<string>;
    unavailable: { name: string; status: 'DOWN'; reason: string }[];
  }> {
    const runtimes = await Promise.all(
      [...this.#runtimes.values()].map((e) => e.runtime.catch(() => undefined)),
    );
    const keys = runtimes.flatMap(
      (r) =>
        r?.rc.keys.keys
          .filter((k) => k.record.status !== 'PASSIVE')
          .map((k) => ({ ...k, realm: r.rc.realm.name })) ?? [],
    );
    return {
      backends: new Set(
        keys.map((k) => k.signer.backendId).filter((id): id is string => id !== undefined),
      ),
      unavailable: keys.flatMap((k) =>
        k.signer instanceof UnavailableSigner
          ? [
              {
                name: `key ${k.record.kid} (${k.record.backend}) of realm ${k.realm}`,
                status: 'DOWN' as const,
                reason: k.signer.reason,
              },
            ]
          : [],
      ),
    };
  }

  /** Called with a realm's name whenever this process changes it (the Redis fan-out publishes it). */
  onChange: ((name: string) => void) | undefined;

  /** Drops the realm's runtime here and tells the other processes (when a fan-out is set). */
  invalidate(name: string): void {
    this.drop(name);
    this.onChange?.(name);
  }

  /** Drops the realm's runtime in this process only (a change announced by another process). */
  drop(name: string): void {
    this.#runtimes.delete(name);
    this.#missing.delete(name);
  }

  /** The realm's keys, each signature recorded (throttled) for the deletion guard. */
  async #loadKeys(name: string, stored: StoredRealmRow): Promise<RealmKeys> {
    // Every signature is recorded (throttled) for the deletion guard: keys/signature-ledger.ts.
    return withSignatureLedger(
      await loadRealmKeys(
        this.#db,
        this.#config.keyEncryptionKey,
        stored.id,
        (kid, err) => {
          this.#log.error(
            { realm: name, kid, err: { message: (err as Error).message } },
            'key cannot sign on this node; its alg answers 503 until it is mended',
          );
        },
        {
          backends: this.backends,
          threads: this.services.signingThreads,
          metrics: this.services.metrics,
        },
      ),
      new SignatureLedger(this.#db, stored.id, stored.doc),
    );
  }

  /** RealmContext.loginEvent: appends the event (when the realm saves its type), logging a failure. */
  #loginEventWriter(name: string, realm: RealmModel, realmId: string): RealmContext['loginEvent'] {
    const log = this.#log;
    const eventsKey = this.#eventsKey;
    const events = this.services.events;
    return (type, event) => {
      if (!savesLoginEvent(realm.rep, type)) return;
      const representation = { time: Date.now(), type, realmId, ...event };
      events
        .append(eventsKey, {
          realmId,
          kind: 'login',
          time: representation.time,
          type,
          representation,
        })
        .catch((err) =>
          log.error(
            { realm: name, type, err: { message: (err as Error).message } },
            'event not recorded',
          ),
        );
    };
  }

  async #build(name: string): Promise<RealmRuntime | undefined> {
    const stored = await findRealm(this.#db, name);
    if (!stored) return undefined;
    const realm = new RealmModel(stored.doc, stored.version);
    const keys = await this.#loadKeys(name, stored);
    const issuer = `${this.#config.baseUrl}/realms/${name}`;
    const rc: RealmContext = {
      loginEvent: this.#loginEventWriter(name, realm, stored.id),
      realm,
      realmId: stored.id,
      keys,
      db: this.#db,
      issuer,
      baseUrl: this.#config.baseUrl,
      cookieKeys: this.cookieKeys,
      secureCookies: this.#config.baseUrl.startsWith('https:'),
      trustProxyHeaders: this.#config.proxyHeaders === 'xforwarded',
      allowPrivateNetworks: this.#config.outboundAllowPrivateNetworks,
      mail: {
        allowedHosts: this.#config.smtpAllowedHosts,
        timeoutMs: this.#config.smtpTimeoutMs,
      },
      actionTokenKey: actionTokenKey(this.#config.keyEncryptionKey, stored.id),
      log: this.#log,
      metrics: this.services.metrics,
      serviceAccounts: new Map(),
    };
    // VERIFY_EMAIL's mail (oidc/verify-email-sender.ts seam, email/verify-email-sender.ts).
    rc.verifyEmail = mailVerifyEmailSender(rc);
    const provider = buildProvider(rc);
    const realmInfo = realmInfoOf(name, issuer, realm, keys);
    this.#log.debug({ realm: name, keys: keys.keys.length }, 'realm runtime built');
    const maxAge = await jwksMaxAge(this.#db, stored.id);
    return {
      version: stored.version,
      rc,
      provider,
      mounted: mount(`/realms/${name}`, provider as never),
      jwksJson: JSON.stringify(keys.jwks()),
      jwksMaxAge: maxAge,
      realmInfo,
    };
  }
}
