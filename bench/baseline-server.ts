/**
 * The baseline of `npm run bench`: oidc-provider 9.13.3 as it ships (the `oidc-provider-stock`
 * package alias, which patch-package leaves alone; no realm layer, no
 * Keycloak claims, in-memory storage), a plain client_credentials client and JWT access tokens
 * through a resource indicator, signing with the same key types (RS256 via node:crypto, ML-DSA-65
 * via an ExternalSigningKey on @oqs/liboqs-js). Prints its port on stdout.
 */
import { generateKeyPairSync, createPublicKey, sign } from 'node:crypto';
import Provider, { ExternalSigningKey } from 'oidc-provider-stock';
import { createMLDSA65 } from '@oqs/liboqs-js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { randomBytes } from 'node:crypto';

const seed = randomBytes(32);
const { publicKey, secretKey } = ml_dsa65.keygen(new Uint8Array(seed));
const oqs = await createMLDSA65();

class MlDsaKey extends ExternalSigningKey {
  constructor() {
    super();
    const w = this as unknown as { kid: string; alg: string };
    w.kid = 'mldsa';
    w.alg = 'ML-DSA-65';
  }
  override keyObject() {
    return createPublicKey({
      key: { kty: 'AKP', alg: 'ML-DSA-65', pub: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    } as never);
  }
  override async sign(data: Buffer) {
    return Buffer.from(oqs.sign(new Uint8Array(data), secretKey));
  }
}
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
class RsaKey extends ExternalSigningKey {
  constructor() {
    super();
    const w = this as unknown as { kid: string; alg: string };
    w.kid = 'rsa';
    w.alg = 'RS256';
  }
  override keyObject() {
    return rsa.publicKey;
  }
  override async sign(data: Buffer) {
    return sign('sha256', data, rsa.privateKey);
  }
}

const provider = new Provider('http://127.0.0.1/baseline', {
  clients: ['RS256', 'ML-DSA-65'].map((alg) => ({
    client_id: `c-${alg}`,
    client_secret: 's',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  })),
  jwks: { keys: [new MlDsaKey(), new RsaKey()] as never },
  features: {
    devInteractions: { enabled: false },
    externalSigningSupport: { enabled: true, ack: 'experimental-01' },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:api',
      getResourceServerInfo: (_ctx: unknown, _resource: string, client: { clientId: string }) => ({
        scope: '',
        audience: 'urn:api',
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: client.clientId.slice(2) } },
      }),
    },
  } as never,
  enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ML-DSA-65'] } as never,
});
const server = provider.listen(0, '127.0.0.1');
server.once('listening', () =>
  process.stdout.write(`${(server.address() as { port: number }).port}\n`),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
