/**
 * "This key signed now", recorded cheaply for the deletion guard (keys/removal-guard.ts): one
 * write per key and WINDOW_MS at most, not one per signature. The write is made ahead, before
 * the signature it covers: `signed_until = now + WINDOW_MS` covers every signature of the key in
 * this process until then, and the next signature after that writes again. So a crash loses
 * nothing (no signature is ever made that a committed row does not cover); the guard only errs
 * late, by up to WINDOW_MS. A write that fails fails the signature (SignerUnavailableError: the
 * token is not issued), rather than issuing a token the guard does not know of.
 * The recorded lifetime is the realm's (keys/token-lifetime.ts) when the window is written.
 * Clocks of the processes are assumed in step (NTP); skew adds to the guard's margin only when late.
 */
import type { SqlClient } from '../store/sql.ts';
import { SignerUnavailableError, type Signer } from '../signer/signer.ts';
import { recordSigned } from './repository.ts';
import { RealmKeys } from './realm-keys.ts';
import { UnavailableSigner } from '../signer/unavailable.ts';
import { tokenLifetime, type TokenLifespans } from './token-lifetime.ts';

/** How far ahead one write covers a key's signatures (ms). */
export const WINDOW_MS = 60_000;

/** One realm's ledger in one process (per realm runtime; a rebuilt runtime starts a new one). */
export class SignatureLedger {
  readonly #db: SqlClient;
  readonly #realmId: string;
  readonly #doc: TokenLifespans;
  /** kid -> epoch ms up to which the stored row covers signatures. */
  readonly #covered = new Map<string, number>();
  /** kid -> the write under way (concurrent first signatures share it). */
  readonly #pending = new Map<string, Promise<void>>();

  constructor(db: SqlClient, realmId: string, doc: TokenLifespans) {
    this.#db = db;
    this.#realmId = realmId;
    this.#doc = doc;
  }

  /**
   * Resolves once the store covers a signature by `kid` made now.
   * @throws SignerUnavailableError when it cannot be recorded.
   */
  async signing(kid: string, alg: string, backend: string): Promise<void> {
    const now = Date.now();
    if ((this.#covered.get(kid) ?? 0) > now) return;
    let pending = this.#pending.get(kid);
    if (!pending) {
      const until = now + WINDOW_MS;
      pending = recordSigned(this.#db, this.#realmId, kid, until, tokenLifetime(this.#doc, alg))
        .then(() => {
          this.#covered.set(kid, until);
        })
        .finally(() => {
          this.#pending.delete(kid);
        });
      this.#pending.set(kid, pending);
    }
    await pending.catch((err: unknown) => {
      throw new SignerUnavailableError(backend, kid, err);
    });
  }
}

/** `inner`, recording each signature in the ledger first. */
class LedgerSigner implements Signer {
  readonly #inner: Signer;
  readonly #ledger: SignatureLedger;
  readonly signWithContext: Signer['signWithContext'];

  constructor(inner: Signer, ledger: SignatureLedger) {
    this.#inner = inner;
    this.#ledger = ledger;
    const withContext = inner.signWithContext?.bind(inner);
    this.signWithContext =
      withContext &&
      (async (message, context) => {
        await this.#ledger.signing(inner.kid, inner.alg, inner.backend);
        return withContext(message, context);
      });
  }

  get alg() {
    return this.#inner.alg;
  }
  get kid() {
    return this.#inner.kid;
  }
  get backend() {
    return this.#inner.backend;
  }
  get backendId() {
    return this.#inner.backendId;
  }
  publicJwk() {
    return this.#inner.publicJwk();
  }

  async sign(input: Uint8Array): Promise<Uint8Array> {
    await this.#ledger.signing(this.#inner.kid, this.#inner.alg, this.#inner.backend);
    return this.#inner.sign(input);
  }
}

/** The realm's keys (each with its record and certificate) with every signer recording its signatures in `ledger` (one that cannot sign, UnavailableSigner, stays as it is). */
export const withSignatureLedger = (keys: RealmKeys, ledger: SignatureLedger): RealmKeys =>
  new RealmKeys(
    keys.keys.map((k) => ({
      ...k,
      signer: k.signer instanceof UnavailableSigner ? k.signer : new LedgerSigner(k.signer, ledger),
    })),
    keys.encryption,
  );
