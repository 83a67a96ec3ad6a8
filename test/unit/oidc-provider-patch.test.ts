/**
 * Guards the oidc-provider patches (patches/oidc-provider+9.13.3+00N+….patch, one per concern:
 * the custom-algorithm registry, the request context). If an upgrade of
 * oidc-provider drops or moves a hook, this file fails and names the hook; the behaviour behind
 * each hook is exercised end to end in test/integration/pq-algorithms.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { AsyncResource } from 'node:async_hooks';
import type { AddressInfo } from 'node:net';
import * as oidcProvider from 'oidc-provider';
import Provider from 'oidc-provider';
import { SignerSigningKey } from '../../src/oidc/signing-key.ts';
import { LocalSigner } from '../../src/signer/local.ts';
import { generateKey } from '../../src/keys/generate.ts';
import { registerCustomAlgorithms } from '../../src/oidc/custom-algorithms.ts';

registerCustomAlgorithms();

const root = path.dirname(createRequire(import.meta.url).resolve('oidc-provider/package.json'));
const HOOKS: [file: string, why: string][] = [
  ['lib/index.js', 'exports registerCustomSigningAlgorithm'],
  ['lib/helpers/custom_algorithms.js', 'the registry and the jwa list registration'],
  ['lib/helpers/keystore.js', 'getKtyFromJWSAlg maps custom algs to their kty'],
  [
    'lib/helpers/initialize_keystore.js',
    'custom kty accepted, members checked, kid thumbprint, alg tables',
  ],
  ['lib/models/id_token.js', 'getHashArgs for at_hash/c_hash of custom algs'],
  ['lib/helpers/jwt.js', 'verification of custom algs (id_token_hint)'],
  [
    'lib/helpers/initialize_app.js',
    'ctx.oidc is a data property, not a getter closure per request',
  ],
  ['lib/helpers/als.js', 'the request store lets go of ctx once the request is answered'],
];

describe('the oidc-provider patches', () => {
  it('is written for the installed version', () => {
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const patches = readdirSync(path.join(import.meta.dirname, '..', '..', 'patches'));
    expect(patches).toEqual([
      `oidc-provider+${version}+001+custom-algorithm-registry.patch`,
      `oidc-provider+${version}+002+request-context.patch`,
    ]);
    expect(version).toBe('9.13.3');
  });

  it.each(HOOKS)('%s carries its hook (%s)', (file) => {
    expect(readFileSync(path.join(root, file), 'utf8')).toContain('qsign-oidc patch');
  });

  it('gives each request ctx.oidc as a plain value, so no request gets a hidden class of its own', async () => {
    // A getter closure per request made V8 allocate a map per request in the old generation, which
    // kept the whole request alive until the next full collection (README, "Performance").
    const provider = new Provider('http://localhost/realms/x', {
      features: { devInteractions: { enabled: false } } as never,
    });
    const seen: (PropertyDescriptor | undefined)[] = [];
    provider.use(async (ctx, next) => {
      await next();
      seen.push(Object.getOwnPropertyDescriptor(ctx, 'oidc'));
    });
    const server = createServer(provider.callback()).listen(0, '127.0.0.1');
    try {
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      expect(
        (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).status,
      ).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/jwks`)).status).toBe(200);
    } finally {
      server.close();
    }
    expect(seen).toHaveLength(2);
    for (const descriptor of seen) {
      expect(descriptor?.get).toBeUndefined();
      expect(descriptor?.value).toBeInstanceOf(provider.OIDCContext);
      expect(descriptor?.value.ctx).toBeDefined();
    }
  });

  it('lets go of the request once it is answered: async work started during it no longer reaches its ctx', async () => {
    // Such work (a signing-thread task, a node:crypto job) used to hold the whole request until
    // the next full collection (README, "Performance").
    let during: unknown;
    let started: AsyncResource | undefined;
    const provider = new Provider('http://localhost/realms/x', {
      clients: [
        {
          client_id: 'svc',
          client_secret: 's',
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
        },
      ],
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
      } as never,
      extraTokenClaims: () => {
        during = Provider.ctx;
        started = new AsyncResource('qsign.test');
        return undefined;
      },
    });
    const server = createServer(provider.callback()).listen(0, '127.0.0.1');
    try {
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('svc:s').toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      expect(res.status).toBe(200);
    } finally {
      server.close();
    }
    expect((during as { oidc?: unknown } | undefined)?.oidc).toBeDefined();
    expect(started!.runInAsyncScope(() => Provider.ctx)).toBeUndefined();
  });

  it('exports the registry and accepts OQS and composite keys in the keystore', async () => {
    expect(typeof (oidcProvider as Record<string, unknown>).registerCustomSigningAlgorithm).toBe(
      'function',
    );
    const keys = await Promise.all(
      ['DILITHIUM3', 'ML-DSA-65-RS256', 'ML-DSA-65-ES256'].map(async (alg) => {
        const key = await generateKey(alg);
        return new SignerSigningKey(new LocalSigner(key.kid, alg, key.privateKey));
      }),
    );
    const provider = new Provider('http://localhost/realms/x', {
      jwks: { keys: keys as never },
      features: {
        externalSigningSupport: { enabled: true, ack: 'experimental-01' },
        devInteractions: { enabled: false },
      } as never,
      enabledJWA: {
        idTokenSigningAlgValues: ['DILITHIUM3', 'ML-DSA-65-RS256', 'ML-DSA-65-ES256'],
      } as never,
    });
    expect(provider.issuer).toBe('http://localhost/realms/x');
  });
});
