/**
 * Teaches oidc-provider the JWS algorithms it does not ship (DILITHIUM3, round 3, kty "OQS"; the
 * ML-DSA composites) through the registry our first patch adds
 * (patches/oidc-provider+9.13.3+001+custom-algorithm-registry.patch,
 * `registerCustomSigningAlgorithm`): `registerCustomAlgorithms()`, which buildProvider calls
 * (importing does nothing); pure ML-DSA-44/65/87 are native in oidc-provider 9.13.
 */
import * as oidcProvider from 'oidc-provider';
import type { JWK } from 'jose';
import { allAlgorithms } from '../jose/algorithms.ts';

interface CustomAlgorithmSpec {
  kty: string;
  members: string[];
  hash: string | [string, { outputLength: number }];
  verify(signingInput: Buffer, signature: Buffer, key: unknown): Promise<boolean>;
}

/** The algorithms registered with oidc-provider through the patch. */
export const CUSTOM_ALGORITHMS = allAlgorithms().filter((a) => a.family === 'custom');

/**
 * Registers CUSTOM_ALGORITHMS with oidc-provider; called by buildProvider before it makes a
 * Provider. Idempotent: the patch's registry is oidc-provider's own (one per process, like its
 * built-in algorithm lists), and registering an alg again stores the same spec over itself.
 * @throws Error when oidc-provider is not patched.
 */
export function registerCustomAlgorithms(): void {
  const register = (
    oidcProvider as unknown as {
      registerCustomSigningAlgorithm?: (alg: string, spec: CustomAlgorithmSpec) => void;
    }
  ).registerCustomSigningAlgorithm;
  if (typeof register !== 'function') {
    throw new Error(
      'oidc-provider is not patched: run `npm install` (postinstall applies patches/oidc-provider+9.13.3+*.patch)',
    );
  }
  for (const algorithm of CUSTOM_ALGORITHMS) {
    register(algorithm.alg, {
      kty: algorithm.kty,
      members: algorithm.members,
      hash: algorithm.hash,
      async verify(signingInput, signature, key) {
        const jwk =
          typeof (key as { publicJwk?: unknown }).publicJwk === 'function'
            ? (key as { publicJwk(): JWK }).publicJwk()
            : (key as JWK);
        return (await algorithm.verifier(jwk)(signingInput, signature)) === undefined;
      },
    });
  }
}
