/**
 * The realm registry: realm name -> the runtime serving it (realm model, keys, oidc-provider
 * instance mounted at `/realms/{realm}`). Runtimes are built on first use (about a millisecond
 * plus key decryption) and cached; `invalidate` drops one so the next request builds it anew from
 * the store, which is how realm and key changes take effect without a restart.
 */
import { createPublicKey, hkdfSync } from 'node:crypto';
import mount from 'koa-mount';
import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';
import type { SqlClient } from '../store/sql.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { findRealm } from '../store/realms.ts';
import { loadRealmKeys } from '../keys/realm-keys.ts';
import { RealmModel } from './model.ts';
import { buildProvider } from '../oidc/provider.ts';
import type { RealmContext } from '../oidc/realm-context.ts';
import { PROTOCOL } from '../oidc/routes.ts';

export interface RealmRuntime {
  rc: RealmContext;
  provider: Provider;
  /** oidc-provider mounted under `/realms/{realm}` (koa-mount). */
  mounted: Middleware;
  /** Pre-serialised JWKS (RFC 7517) of the realm's enabled keys. */
  jwksJson: string;
  /** Keycloak's PublishedRealmRepresentation for `GET /realms/{realm}`. */
  realmInfo: Record<string, unknown>;
}

const NEGATIVE_TTL_MS = 2_000;

export class RealmRegistry {
  readonly #db: SqlClient;
  readonly #config: Config;
  readonly #log: Logger;
  /** Keys for signed cookies (HKDF from the KEK, so every replica agrees); the outer Koa app needs them too. */
  readonly cookieKeys: string[];
  readonly #runtimes = new Map<string, Promise<RealmRuntime | undefined>>();
  readonly #missing = new Map<string, number>();

  constructor(db: SqlClient, config: Config, log: Logger) {
    this.#db = db;
    this.#config = config;
    this.#log = log;
    this.cookieKeys = [Buffer.from(hkdfSync('sha256', config.keyEncryptionKey, 'qsign-oidc', 'cookie signing key v1', 32)).toString('base64')];
  }

  /** The realm's runtime, or undefined when no such realm exists. @throws StoreUnavailableError */
  async get(name: string): Promise<RealmRuntime | undefined> {
    const missingSince = this.#missing.get(name);
    if (missingSince && Date.now() - missingSince < NEGATIVE_TTL_MS) return undefined;
    let runtime = this.#runtimes.get(name);
    if (!runtime) {
      runtime = this.#build(name);
      this.#runtimes.set(name, runtime);
      runtime.then((r) => {
        if (!r) { this.#runtimes.delete(name); this.#missing.set(name, Date.now()); }
      }, () => this.#runtimes.delete(name));
    }
    return runtime;
  }

  invalidate(name: string): void {
    this.#runtimes.delete(name);
    this.#missing.delete(name);
  }

  async #build(name: string): Promise<RealmRuntime | undefined> {
    const stored = await findRealm(this.#db, name);
    if (!stored) return undefined;
    const realm = new RealmModel(stored.doc, stored.version);
    const keys = await loadRealmKeys(this.#db, this.#config.keyEncryptionKey, stored.id);
    const issuer = `${this.#config.baseUrl}/realms/${name}`;
    const rc: RealmContext = {
      realm, realmId: stored.id, keys, db: this.#db, issuer, baseUrl: this.#config.baseUrl,
      cookieKeys: this.cookieKeys, secureCookies: this.#config.baseUrl.startsWith('https:'), allowPrivateNetworks: this.#config.outboundAllowPrivateNetworks, log: this.#log,
    };
    const provider = buildProvider(rc);
    const rsa = keys.activeFor('RS256')?.publicJwk();
    const realmInfo = {
      realm: name,
      public_key: rsa ? createPublicKey({ key: rsa, format: 'jwk' } as never).export({ type: 'spki', format: 'der' }).toString('base64') : undefined,
      'token-service': `${issuer}${PROTOCOL}`,
      'account-service': `${issuer}/account`,
      'tokens-not-before': realm.rep.notBefore,
    };
    this.#log.debug({ realm: name, keys: keys.keys.length }, 'realm runtime built');
    return { rc, provider, mounted: mount(`/realms/${name}`, provider as never), jwksJson: JSON.stringify(keys.jwks()), realmInfo };
  }
}
