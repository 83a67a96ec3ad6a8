/**
 * Creates signing keys on a PKCS#11 token (the `keys create --backend pkcs11` command): RSA key
 * pairs for RS256/PS256 (2048 bits, or 3072 for the RSA half of a composite), P-256 for ES256 (private keys sensitive and non-extractable), and
 * for ML-DSA on tokens without CKM_ML_DSA a non-extractable AES-256 key plus an ML-DSA seed
 * encrypted by it (seed-wrapped mode). Keys are addressed by CKA_ID.
 */
import pkcs11js from 'pkcs11js';
import type { Pkcs11Pool } from './module.ts';
import {
  CKM_ML_DSA,
  CKK_ML_DSA,
  CKA_PARAMETER_SET,
  ML_DSA_PARAMETER_SETS,
  isMlDsa,
  wrapNewSeed,
} from './signer.ts';

const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex');

export interface CreatedTokenKey {
  mode: 'native' | 'seed-wrapped';
  /** For seed-wrapped ML-DSA: iv ‖ ciphertext ‖ tag (base64 in the component config). */
  wrappedSeed?: Buffer;
}

/**
 * Seed-wrapped ML-DSA (a token without CKM_ML_DSA): a non-extractable AES-256 key under `common`'s
 * CKA_ID, and a new ML-DSA seed encrypted by it.
 */
async function createWrappedSeed(
  pool: Pkcs11Pool,
  alg: string,
  keyId: string,
  common: pkcs11js.Template,
): Promise<CreatedTokenKey> {
  await pool.withSession((session) =>
    pool.lib.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      ...common,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    ]),
  );
  return { mode: 'seed-wrapped', wrappedSeed: await wrapNewSeed(pool, keyId, alg) };
}

/** The key pair on the token: ML-DSA (native), P-256 for ES256, else RSA of `rsaBits` (2048). */
function generateKeyPair(
  pool: Pkcs11Pool,
  session: pkcs11js.Handle,
  alg: string,
  nativeMlDsa: boolean,
  common: pkcs11js.Template,
  privateAttrs: pkcs11js.Template,
  rsaBits: number | undefined,
): void {
  if (nativeMlDsa) {
    pool.lib.C_GenerateKeyPair(
      session,
      { mechanism: 0x1c /* CKM_ML_DSA_KEY_PAIR_GEN */ },
      [
        ...common,
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: CKA_PARAMETER_SET, value: ML_DSA_PARAMETER_SETS[alg] },
        { type: pkcs11js.CKA_KEY_TYPE, value: CKK_ML_DSA },
      ],
      [...privateAttrs, { type: pkcs11js.CKA_KEY_TYPE, value: CKK_ML_DSA }],
    );
  } else if (alg === 'ES256') {
    pool.lib.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [
        ...common,
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_EC_PARAMS, value: P256_OID },
      ],
      privateAttrs,
    );
  } else {
    pool.lib.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        ...common,
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_MODULUS_BITS, value: rsaBits ?? 2048 },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
      privateAttrs,
    );
  }
}

export async function createTokenKey(
  pool: Pkcs11Pool,
  alg: string,
  keyId: string,
  label: string,
  options: { rsaBits?: number } = {},
): Promise<CreatedTokenKey> {
  const id = Buffer.from(keyId, 'hex');
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_LABEL, value: label },
  ];
  const privateAttrs = [
    ...common,
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
  ];
  const nativeMlDsa = isMlDsa(alg) && pool.mechanisms().has(CKM_ML_DSA);
  if (isMlDsa(alg) && !nativeMlDsa) return createWrappedSeed(pool, alg, keyId, common);
  await pool.withSession((session) =>
    generateKeyPair(pool, session, alg, nativeMlDsa, common, privateAttrs, options.rsaBits),
  );
  return { mode: 'native' };
}
