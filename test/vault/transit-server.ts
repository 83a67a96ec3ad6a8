/**
 * A Vault transit test server: NOT Vault. Real HTTP on 127.0.0.1 and real signatures
 * (node:crypto for RSA, ECDSA and ML-DSA), speaking the subset of Vault's HTTP API that
 * qsign-oidc uses, with the documented paths, parameters, status codes and `{"errors":[...]}`
 * bodies: transit keys (create, read, rotate, config with min_decryption_version, trim), sign,
 * sys/health, token and AppRole auth (login with secret_id_num_uses, renew-self, lookup-self),
 * X-Vault-Namespace. Its ML-DSA responses follow the Vault (Enterprise) documentation, not a
 * recorded Vault Enterprise server. See test/vault/README.md. Fault injection: sealed (503),
 * standby (sys/health 429 unless standbyok=true; requests forwarded, so served), slow responses, dropped connections, an error status on one path, staggered
 * responses; tokens can be created and revoked and secret_ids rotated as an operator (or Vault
 * Agent) would. Plugin mounts (`pluginMounts`) behave as the QSIGN `oqs-transit` plugin: key types
 * `dilithium3` and `ml-dsa-65` (signed with @noble/post-quantum), its error bodies ("encryption
 * key not found", key version mismatch).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  constants,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  type KeyObject,
} from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { dilithium_v31 } from 'noble-pq-v01/ml-dsa';

/**
 * Key types of Vault's transit engine, and those of the QSIGN `oqs-transit` plugin (`dilithium3`:
 * CRYSTALS-Dilithium round 3 as liboqs's "Dilithium3"; `ml-dsa-65`: FIPS 204), which only a
 * plugin mount (`pluginMounts`) accepts. The plugin keys sign with @noble/post-quantum, an
 * implementation independent of the server's (pqclean / liboqs): round 3 from its 0.1 release.
 */
type KeyType = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ecdsa-p256' | 'ml-dsa' | PluginKeyType;
type PluginKeyType = 'dilithium3' | 'ml-dsa-65';
const PLUGIN_TYPES: readonly string[] = ['dilithium3', 'ml-dsa-65'];
const TRANSIT_TYPES: readonly string[] = [
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'ecdsa-p256',
  'ml-dsa',
];
/** node:crypto keys for transit's own types; raw secret keys (noble) for the plugin's. */
interface Version {
  privateKey: KeyObject | Uint8Array;
  publicKey: string;
  created: string;
}
interface TransitKey {
  type: KeyType;
  parameterSet?: string;
  versions: Map<number, Version>;
  latest: number;
  minDecryption: number;
  minEncryption: number;
  minAvailable: number;
}
export type Fault = 'none' | 'sealed' | 'standby' | 'drop' | { slowMs: number };

class HttpError extends Error {
  readonly status: number;
  readonly errors: string[];
  constructor(status: number, errors: string[]) {
    super(errors.join('; '));
    this.status = status;
    this.errors = errors;
  }
}

export class VaultTransitTestServer {
  readonly rootToken = `hvs.${randomBytes(18).toString('base64url')}`;
  readonly mounts = new Map<string, Map<string, TransitKey>>([
    ['transit', new Map()],
    ['oqs-transit', new Map()],
  ]);
  /** Mounts that run the `oqs-transit` plugin: they also accept its key types and answer with its error bodies. */
  readonly pluginMounts = new Set(['oqs-transit']);
  readonly approles = new Map<string, { secretId: string; ttl: number; usesLeft: number }>();
  /** AppRole login attempts by role_id (successful or not). */
  readonly logins = new Map<string, number>();
  /** Tokens issued (AppRole logins, createToken); expiresAt Infinity for a token without TTL. */
  readonly tokens = new Map<string, { expiresAt: number; ttl: number }>();
  /** Requests seen, by path, for tests (never bodies). */
  readonly requests: { method: string; path: string; namespace?: string }[] = [];
  namespace: string | undefined;
  fault: Fault = 'none';
  /** Path (e.g. "/v1/auth/token/renew-self") -> HTTP status it answers instead (with a Vault-like error). */
  readonly failPaths = new Map<string, number>();
  #staggerMs = 0;
  #staggered = 0;
  // A client that gives up mid-request (timeouts, the drop fault) must not crash the server.
  #server: http.Server;
  url = '';

  /** @param tls certificate and key (PEM) to serve HTTPS, for the custom-CA test. */
  constructor(tls?: { cert: string; key: string }) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.#handle(req, res).catch(() => res.destroy());
    };
    this.#server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    this.#scheme = tls ? 'https' : 'http';
  }

  readonly #scheme: string;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `${this.#scheme}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Adds a mount; `plugin`: it runs the oqs-transit plugin. */
  addMount(mount: string, plugin = false): void {
    this.mounts.set(mount, new Map());
    if (plugin) this.pluginMounts.add(mount);
  }

  createKey(name: string, type: KeyType, mount = 'transit', parameterSet = '65'): void {
    if (PLUGIN_TYPES.includes(type) && !this.pluginMounts.has(mount))
      throw new Error(`key type ${type} needs a mount running the oqs-transit plugin`);
    const key: TransitKey = {
      type,
      parameterSet: type === 'ml-dsa' ? parameterSet : undefined,
      versions: new Map(),
      latest: 0,
      minDecryption: 1,
      minEncryption: 0,
      minAvailable: 0,
    };
    this.mounts.get(mount)!.set(name, key);
    this.#rotate(key);
  }

  /** @param secretIdNumUses logins the secret_id allows (Vault's secret_id_num_uses; 0 = unlimited). */
  addAppRole(roleId: string, secretId: string, ttl = 3600, secretIdNumUses = 0): void {
    this.approles.set(roleId, { secretId, ttl, usesLeft: secretIdNumUses || Infinity });
  }

  /** A new secret_id for a role (the old one stops working), as `vault write -f auth/approle/role/R/secret-id` and deleting the old. */
  rotateSecretId(roleId: string, secretId: string, secretIdNumUses = 0): void {
    const role = this.approles.get(roleId)!;
    role.secretId = secretId;
    role.usesLeft = secretIdNumUses || Infinity;
  }

  /** A new service token, as `vault token create -ttl=...` (ttl 0: no expiry). */
  createToken(ttl = 0): string {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, { expiresAt: ttl ? Date.now() + ttl * 1000 : Infinity, ttl });
    return token;
  }

  /** Revokes one issued token, or all of them (the root token stays). */
  revoke(token?: string): void {
    if (token) this.tokens.delete(token);
    else this.tokens.clear();
  }

  /**
   * From now on the n-th request (AppRole logins excepted) is answered after n * ms: requests
   * sent together come back spread out, as under real load. 0 turns it off.
   */
  stagger(ms: number): void {
    this.#staggerMs = ms;
    this.#staggered = 0;
  }

  /** How many requests reached a path (e.g. "/v1/auth/approle/login"). */
  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  #rotate(key: TransitKey): void {
    if (PLUGIN_TYPES.includes(key.type)) {
      const pair = (key.type === 'dilithium3' ? dilithium_v31.dilithium3 : ml_dsa65).keygen(
        randomBytes(32),
      );
      key.latest += 1;
      // The plugin returns public keys as base64 of the raw key (1,952 bytes for both types).
      key.versions.set(key.latest, {
        privateKey: pair.secretKey,
        publicKey: Buffer.from(pair.publicKey).toString('base64'),
        created: new Date().toISOString(),
      });
      return;
    }
    let privateKey: KeyObject;
    if (key.type.startsWith('rsa'))
      privateKey = generateKeyPairSync('rsa', {
        modulusLength: Number(key.type.slice(4)),
      }).privateKey;
    else if (key.type === 'ecdsa-p256')
      privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    else privateKey = generateKeyPairSync(`ml-dsa-${key.parameterSet}` as 'ml-dsa-65').privateKey;
    const publicKey =
      key.type === 'ml-dsa'
        ? createPublicKey(privateKey)
            .export({ format: 'raw-public' } as never)
            .toString('base64')
        : createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
    key.latest += 1;
    key.versions.set(key.latest, { privateKey, publicKey, created: new Date().toISOString() });
  }

  /**
   * A plugin key's signature: Dilithium3 (round 3) over the raw input, no context (round 3 has
   * none); ML-DSA-65 pure, with `context` (base64, at most 255 bytes, FIPS 204) when given.
   */
  #pluginSign(
    key: TransitKey,
    secretKey: Uint8Array,
    input: Buffer,
    body: Record<string, unknown>,
  ): Buffer {
    const context =
      body.context === undefined ? undefined : Buffer.from(String(body.context), 'base64');
    if (key.type === 'dilithium3') {
      if (context?.length)
        throw new HttpError(400, ['context is not supported by key type dilithium3']);
      return Buffer.from(dilithium_v31.dilithium3.sign(secretKey, input));
    }
    if (context && context.length > 255)
      throw new HttpError(400, ['context must be at most 255 bytes']);
    return Buffer.from(ml_dsa65.sign(input, secretKey, { context: context ?? new Uint8Array() }));
  }

  #auth(req: http.IncomingMessage): void {
    const token = req.headers['x-vault-token'];
    if (token === this.rootToken) return;
    const issued = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (!issued || issued.expiresAt < Date.now()) throw new HttpError(403, ['permission denied']);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    this.requests.push({
      method: req.method ?? '',
      path,
      namespace: req.headers['x-vault-namespace'] as string | undefined,
    });
    const fault = this.fault;
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (typeof fault === 'object') await new Promise((r) => setTimeout(r, fault.slowMs));
    if (this.#staggerMs > 0 && !/^\/v1\/auth\/[^/]+\/login$/.test(path)) {
      this.#staggered += 1;
      await new Promise((r) => setTimeout(r, this.#staggered * this.#staggerMs));
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body?: unknown) => {
      res.statusCode = status;
      if (body === undefined) {
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    try {
      if (path === '/v1/sys/health') {
        if (fault === 'sealed')
          return send(503, { initialized: true, sealed: true, standby: true });
        // A standby answers 429 unless the caller says a standby will do (it forwards requests).
        if (fault === 'standby')
          return send(/[?&]standbyok=true/.test(req.url ?? '') ? 200 : 429, {
            initialized: true,
            sealed: false,
            standby: true,
          });
        return send(200, {
          initialized: true,
          sealed: false,
          standby: false,
          version: '1.20.0+ent (test server)',
        });
      }
      if (fault === 'sealed') throw new HttpError(503, ['Vault is sealed']);
      if (this.namespace && req.headers['x-vault-namespace'] !== this.namespace)
        throw new HttpError(403, ['permission denied']);
      const failWith = this.failPaths.get(path);
      if (failWith)
        throw new HttpError(
          failWith,
          failWith >= 500 ? ['1 error occurred:\n\t* injected failure\n\n'] : ['injected failure'],
        );
      let body: Record<string, unknown> = {};
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString());
        } catch {
          throw new HttpError(400, ['failed to parse JSON input']);
        }
      }
      return send(...this.#route(req.method ?? 'GET', path, body, req));
    } catch (err) {
      if (err instanceof HttpError) return send(err.status, { errors: err.errors });
      return send(500, { errors: ['1 error occurred:\n\t* internal error\n\n'] });
    }
  }

  #route(
    method: string,
    path: string,
    body: Record<string, unknown>,
    req: http.IncomingMessage,
  ): [number, unknown?] {
    let m = /^\/v1\/auth\/([^/]+)\/login$/.exec(path);
    if (m && method === 'POST') {
      const role = this.approles.get(String(body.role_id));
      this.logins.set(String(body.role_id), (this.logins.get(String(body.role_id)) ?? 0) + 1);
      if (!role || role.secretId !== body.secret_id || role.usesLeft < 1)
        throw new HttpError(400, ['invalid role or secret ID']);
      role.usesLeft -= 1;
      const token = `hvs.${randomBytes(18).toString('base64url')}`;
      this.tokens.set(token, { expiresAt: Date.now() + role.ttl * 1000, ttl: role.ttl });
      return [
        200,
        {
          request_id: randomUUID(),
          lease_id: '',
          renewable: false,
          lease_duration: 0,
          data: null,
          auth: {
            client_token: token,
            accessor: randomUUID(),
            policies: ['default', 'transit-sign'],
            token_policies: ['default', 'transit-sign'],
            metadata: { role_name: 'qsign' },
            lease_duration: role.ttl,
            renewable: true,
            entity_id: randomUUID(),
            token_type: 'service',
            orphan: true,
          },
        },
      ];
    }
    if (path === '/v1/auth/token/renew-self' && method === 'POST') {
      this.#auth(req);
      const token = req.headers['x-vault-token'] as string;
      const issued = this.tokens.get(token);
      if (issued?.ttl) issued.expiresAt = Date.now() + issued.ttl * 1000;
      return [
        200,
        {
          auth: {
            client_token: token,
            policies: ['default'],
            lease_duration: issued?.ttl ?? 0,
            renewable: Boolean(issued?.ttl),
          },
        },
      ];
    }
    if (path === '/v1/auth/token/lookup-self' && method === 'GET') {
      this.#auth(req);
      const token = req.headers['x-vault-token'] as string;
      const issued = this.tokens.get(token);
      const ttl = issued
        ? issued.expiresAt === Infinity
          ? 0
          : Math.max(0, Math.round((issued.expiresAt - Date.now()) / 1000))
        : 0;
      // The token itself (data.id) is in Vault's answer too; the client never logs it.
      return [
        200,
        {
          request_id: randomUUID(),
          data: {
            accessor: randomUUID(),
            id: token,
            policies: issued ? ['default', 'transit-sign'] : ['root'],
            renewable: Boolean(issued?.ttl),
            ttl,
            creation_ttl: issued?.ttl ?? 0,
            orphan: true,
            type: 'service',
            num_uses: 0,
          },
        },
      ];
    }
    m = /^\/v1\/([^/]+)\/(keys|sign)\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (!m || !this.mounts.has(m[1])) throw new HttpError(404, []);
    this.#auth(req);
    const [, mount, kind, name, extra] = m;
    const keys = this.mounts.get(mount)!;
    const key = keys.get(decodeURIComponent(name));
    if (kind === 'keys') {
      if (method === 'POST' && !extra) {
        if (key) return [204];
        const type = String(body.type ?? 'aes256-gcm96') as KeyType;
        if (
          !TRANSIT_TYPES.includes(type) &&
          !(this.pluginMounts.has(mount) && PLUGIN_TYPES.includes(type))
        )
          throw new HttpError(400, [`unknown key type ${type}`]);
        this.createKey(decodeURIComponent(name), type, mount, String(body.parameter_set ?? '65'));
        return [204];
      }
      if (!key) throw new HttpError(404, []);
      if (method === 'GET' && !extra)
        return [200, { data: this.#describe(decodeURIComponent(name), key) }];
      if (method === 'POST' && extra === 'rotate') {
        this.#rotate(key);
        return [200, { data: this.#describe(decodeURIComponent(name), key) }];
      }
      if (method === 'POST' && extra === 'config') {
        if (body.min_decryption_version !== undefined) {
          const v = Number(body.min_decryption_version);
          if (v < key.minAvailable)
            throw new HttpError(400, [
              'min decryption version should not be less than min available version',
            ]);
          key.minDecryption = v;
        }
        if (body.min_encryption_version !== undefined)
          key.minEncryption = Number(body.min_encryption_version);
        return [200, { data: this.#describe(decodeURIComponent(name), key) }];
      }
      if (method === 'POST' && extra === 'trim') {
        const v = Number(body.min_available_version);
        if (!(v > 0)) throw new HttpError(400, ['invalid min available version']);
        if (v > key.minDecryption)
          throw new HttpError(400, [
            'cannot set min available version greater than the min decryption version',
          ]);
        for (const version of [...key.versions.keys()])
          if (version < v) key.versions.delete(version);
        key.minAvailable = v;
        return [204];
      }
      throw new HttpError(405, []);
    }
    // sign/{name}[/{hash_algorithm}]
    if (method !== 'POST') throw new HttpError(405, []);
    const plugin = this.pluginMounts.has(mount);
    // The oqs-transit plugin's own error bodies (QSIGN seeds): "encryption key not found", and a
    // version mismatch naming the requested and the latest version.
    if (!key)
      throw new HttpError(400, [plugin ? 'encryption key not found' : 'signing key not found']);
    const version =
      body.key_version === undefined || Number(body.key_version) === 0
        ? key.latest
        : Number(body.key_version);
    const material = key.versions.get(version);
    if (version > key.latest || !material)
      throw new HttpError(400, [
        plugin
          ? `key version mismatch: requested version ${version}, latest_version is ${key.latest}`
          : 'requested version for signing does not exist',
      ]);
    if (version < key.minAvailable)
      throw new HttpError(400, [
        'requested version for signing is less than minimum available version',
      ]);
    if (typeof body.input !== 'string') throw new HttpError(400, ['missing input to process']);
    const input = Buffer.from(body.input, 'base64');
    const hashName = String(extra ?? body.hash_algorithm ?? 'sha2-256');
    const hash = (
      { 'sha2-256': 'sha256', 'sha2-384': 'sha384', 'sha2-512': 'sha512' } as Record<string, string>
    )[hashName];
    let signature: Buffer;
    let encoding: BufferEncoding = 'base64';
    if (PLUGIN_TYPES.includes(key.type)) {
      signature = this.#pluginSign(key, material.privateKey as Uint8Array, input, body);
    } else if (key.type === 'ml-dsa') {
      // Pure ML-DSA over the raw input, empty context: Vault documents no ML-DSA context parameter.
      signature = sign(null, input, material.privateKey as KeyObject);
    } else if (key.type.startsWith('rsa')) {
      if (!hash) throw new HttpError(400, [`unsupported hash algorithm ${hashName}`]);
      const pss = (body.signature_algorithm ?? 'pss') === 'pss';
      const saltLength =
        body.salt_length === undefined || body.salt_length === 'auto'
          ? constants.RSA_PSS_SALTLEN_MAX_SIGN
          : body.salt_length === 'hash'
            ? constants.RSA_PSS_SALTLEN_DIGEST
            : Number(body.salt_length);
      signature = sign(
        hash,
        input,
        pss
          ? {
              key: material.privateKey as KeyObject,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength,
            }
          : { key: material.privateKey as KeyObject, padding: constants.RSA_PKCS1_PADDING },
      );
    } else {
      if (!hash) throw new HttpError(400, [`unsupported hash algorithm ${hashName}`]);
      const jws = body.marshaling_algorithm === 'jws';
      signature = sign(hash, input, {
        key: material.privateKey as KeyObject,
        dsaEncoding: jws ? 'ieee-p1363' : 'der',
      });
      if (jws) encoding = 'base64url';
    }
    return [
      200,
      {
        request_id: randomUUID(),
        data: {
          signature: `vault:v${version}:${signature.toString(encoding)}`,
          key_version: version,
        },
      },
    ];
  }

  #describe(name: string, key: TransitKey) {
    return {
      type: key.type,
      name,
      ...(key.parameterSet ? { parameter_set: key.parameterSet } : {}),
      keys: Object.fromEntries(
        [...key.versions].map(([v, m]) => [
          String(v),
          {
            name:
              key.type === 'ml-dsa'
                ? `ml-dsa-${key.parameterSet}`
                : PLUGIN_TYPES.includes(key.type) || key.type.startsWith('rsa')
                  ? key.type
                  : 'P-256',
            public_key: m.publicKey,
            certificate_chain: '',
            creation_time: m.created,
            hybrid_public_key: '',
          },
        ]),
      ),
      latest_version: key.latest,
      min_decryption_version: key.minDecryption,
      min_encryption_version: key.minEncryption,
      min_available_version: key.minAvailable,
      deletion_allowed: false,
      derived: false,
      exportable: false,
      allow_plaintext_backup: false,
      supports_encryption: false,
      supports_decryption: false,
      supports_derivation: false,
      supports_signing: true,
      imported: false,
    };
  }
}
