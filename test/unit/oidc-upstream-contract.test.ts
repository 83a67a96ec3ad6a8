/**
 * The contract with oidc-provider that src/oidc/upstream/ relies on: every method we wrap or
 * replace is still there with the arity we call it with, still called by upstream where our
 * patch expects it, and every error text we match is still what upstream throws. An upgrade of
 * oidc-provider that changes any of them fails here, naming the touch point, before it fails
 * somewhere in the integration suite (or, worse, silently answers in oidc-provider's words).
 * The patch files themselves are guarded by oidc-provider-patch.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Koa from 'koa';
import Provider, { errors } from 'oidc-provider';
import {
  replaceDestroy,
  replaceFind,
  tokenModel,
  wrapGetValueAndPayload,
  wrapIdTokenIssue,
  type TokenModelName,
} from '../../src/oidc/upstream/models.ts';
import { patchClientPrototype, skipClientMetadataChecks } from '../../src/oidc/upstream/client.ts';
import { currentContext, markRedirectUriChecked } from '../../src/oidc/upstream/context.ts';
import {
  UPSTREAM_DETAIL_PREFIX,
  UPSTREAM_ERROR_TEXT,
  UPSTREAM_PKCE_TEXT,
} from '../../src/oidc/upstream/error-details.ts';

const root = path.dirname(createRequire(import.meta.url).resolve('oidc-provider/package.json'));
const source = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** A provider of its own for each test: the patches change this instance's classes only. */
const newProvider = (clients: unknown[] = []) =>
  new Provider('http://localhost/realms/contract', {
    clients: clients as never,
    features: { devInteractions: { enabled: false } } as never,
  });

const IMPLICIT_LOCALHOST_CLIENT = {
  client_id: 'spa',
  token_endpoint_auth_method: 'none',
  grant_types: ['implicit'],
  response_types: ['id_token'],
  redirect_uris: ['http://localhost/cb'],
};

describe('oidc-provider contract: token models (upstream/models.ts)', () => {
  const MODELS: TokenModelName[] = ['AccessToken', 'ClientCredentials', 'RefreshToken'];

  it.each(MODELS)(
    '%s has getValueAndPayload(), find, destroy() and instantiate(payload)',
    (name) => {
      const Model = tokenModel(newProvider(), name);
      expect(typeof Model.prototype.getValueAndPayload).toBe('function');
      expect(Model.prototype.getValueAndPayload.length).toBe(0);
      expect(typeof Model.find).toBe('function');
      expect(typeof Model.prototype.destroy).toBe('function');
      expect(Model.prototype.destroy.length).toBe(0);
      expect(typeof Model.instantiate).toBe('function');
      expect(Model.instantiate.length).toBe(1);
    },
  );

  it('save() takes its value from getValueAndPayload() (lib/models/base_model.js)', async () => {
    expect(source('lib/models/base_model.js')).toContain(
      'const { value, payload } = await this.getValueAndPayload();',
    );
    const provider = newProvider();
    const Model = tokenModel<Record<string, unknown>>(provider, 'AccessToken');
    wrapGetValueAndPayload(Model, async (original) => ({
      value: `wrapped.${original.value}`,
      payload: original.payload,
    }));
    const token = new provider.AccessToken({
      accountId: 'user',
      clientId: 'client',
      grantId: 'grant',
      scope: 'openid',
    } as never);
    const value = await token.save();
    expect(value).toMatch(/^wrapped\./);
  });

  it('find(value, options) and destroy() are replaced on this provider only', async () => {
    const provider = newProvider();
    const Model = tokenModel(provider, 'RefreshToken');
    const seen: unknown[] = [];
    replaceFind(Model, async (value, options, upstream) => {
      seen.push([value, options]);
      return upstream('no-such-id', options);
    });
    expect(await provider.RefreshToken.find('jwt', { ignoreExpiration: true })).toBeUndefined();
    expect(seen).toEqual([['jwt', { ignoreExpiration: true }]]);
    let destroyed = false;
    replaceDestroy(Model, async function () {
      destroyed = true;
    });
    await new provider.RefreshToken({ clientId: 'c' } as never).destroy();
    expect(destroyed).toBe(true);
    expect(tokenModel(newProvider(), 'RefreshToken').prototype.destroy).not.toBe(
      Model.prototype.destroy,
    );
  });

  it('IdToken#issue({ use }) is how upstream issues id tokens and signed userinfo', async () => {
    expect(source('lib/helpers/grant_common.js')).toContain("token.issue({ use: 'idtoken' })");
    expect(source('lib/helpers/process_response_types.js')).toContain(
      "id_token.issue({ use: 'idtoken' })",
    );
    expect(source('lib/actions/userinfo.js')).toContain("use: 'userinfo'");
    const provider = newProvider();
    const calls: unknown[] = [];
    wrapIdTokenIssue<object>(provider, async function (options, upstream) {
      calls.push(options);
      expect(typeof upstream).toBe('function');
      return 'issued';
    });
    const IdToken = (
      provider as unknown as { IdToken: new (claims: object, options: object) => object }
    ).IdToken;
    const token = new IdToken({}, { client: {} }) as {
      issue(options: { use: string }): Promise<unknown>;
    };
    expect(await token.issue({ use: 'idtoken' })).toBe('issued');
    expect(calls).toEqual([{ use: 'idtoken' }]);
  });
});

describe('oidc-provider contract: Client model (upstream/client.ts)', () => {
  it('has includeSid(), redirectUriAllowed(uri), postLogoutRedirectUriAllowed(uri), responseTypeAllowed(type)', () => {
    const { prototype } = newProvider().Client as unknown as {
      prototype: Record<string, (...args: unknown[]) => unknown>;
    };
    expect(prototype.includeSid.length).toBe(0);
    expect(prototype.redirectUriAllowed.length).toBe(1);
    expect(prototype.postLogoutRedirectUriAllowed.length).toBe(1);
    expect(prototype.responseTypeAllowed.length).toBe(1);
  });

  it('upstream calls them where the patches expect, the response type before the redirect URI', () => {
    const authorization = source('lib/actions/authorization/response_parameters.js');
    const responseType = authorization.indexOf('client.responseTypeAllowed(params.response_type)');
    const redirectUri = authorization.indexOf(
      'client.redirectUriAllowed(ctx.oidc.params.redirect_uri)',
    );
    // flows.ts checks the redirect URI itself inside responseTypeAllowed for this reason.
    expect(responseType).toBeGreaterThan(-1);
    expect(redirectUri).toBeGreaterThan(responseType);
    expect(source('lib/actions/end_session.js')).toContain(
      'client.postLogoutRedirectUriAllowed(params.post_logout_redirect_uri)',
    );
    expect(source('lib/helpers/process_response_types.js')).toContain(
      'ctx.oidc.client.includeSid()',
    );
  });

  it('patchClientPrototype replaces the methods of this provider’s clients', async () => {
    const provider = newProvider([
      { client_id: 'app', client_secret: 'secret', redirect_uris: ['https://app/cb'] },
    ]);
    patchClientPrototype(provider, {
      includeSid: () => true,
      redirectUriAllowed(uri) {
        return uri.startsWith('https://app/');
      },
    });
    const client = (await provider.Client.find('app')) as unknown as {
      includeSid(): boolean;
      redirectUriAllowed(uri: string): boolean;
    };
    expect(client.includeSid()).toBe(true);
    expect(client.redirectUriAllowed('https://app/other')).toBe(true);
  });

  it('an implicit client on http://localhost is refused by the codes skipClientMetadataChecks skips', async () => {
    const schema = source('lib/helpers/client_schema.js');
    expect(schema).toContain("'implicit-force-https'");
    expect(schema).toContain("'implicit-forbid-localhost'");
    const stock = newProvider([IMPLICIT_LOCALHOST_CLIENT]);
    await expect(stock.Client.find('spa')).rejects.toMatchObject({
      error: 'invalid_redirect_uri',
      error_description: expect.stringMatching(/implicit flow/),
    });
    const patched = newProvider([IMPLICIT_LOCALHOST_CLIENT]);
    skipClientMetadataChecks(
      patched,
      new Set(['implicit-force-https', 'implicit-forbid-localhost']),
    );
    expect(await patched.Client.find('spa')).toBeDefined();
  });
});

describe('oidc-provider contract: request context (upstream/context.ts)', () => {
  it('Provider.ctx is the static getter of the request store (undefined outside a request)', () => {
    expect(typeof Object.getOwnPropertyDescriptor(Provider, 'ctx')?.get).toBe('function');
    expect(currentContext(Provider)).toBeUndefined();
  });

  it('ctx.oidc.redirectUriCheckPerformed is the flag upstream’s error handler reads', () => {
    expect(source('lib/helpers/oidc_context.js')).toContain('this.redirectUriCheckPerformed');
    expect(source('lib/shared/authorization_error_handler.js')).toContain(
      "check: 'redirectUriCheckPerformed'",
    );
    const ctx = { oidc: {} } as never;
    markRedirectUriChecked(ctx);
    expect((ctx as { oidc: { redirectUriCheckPerformed: boolean } }).oidc).toEqual({
      redirectUriCheckPerformed: true,
    });
  });

  it('the Provider is its own Koa app (provider.ts sets maxIpsCount on it)', () => {
    const provider = newProvider();
    provider.maxIpsCount = 1;
    expect(provider).toBeInstanceOf(Koa);
    expect(provider.maxIpsCount).toBe(1);
  });
});

describe('oidc-provider contract: error texts (upstream/error-details.ts)', () => {
  it.each([
    ['lib/actions/token.js', `InvalidRequest('${UPSTREAM_ERROR_TEXT.grantTypeNotAllowed}')`],
    [
      'lib/actions/grants/authorization_code.js',
      `InvalidGrant('${UPSTREAM_ERROR_TEXT.codeExpired}')`,
    ],
    [
      'lib/actions/grants/authorization_code.js',
      `InvalidGrant('${UPSTREAM_ERROR_TEXT.codeRedirectUriMismatch}')`,
    ],
    [
      'lib/actions/grants/refresh_token.js',
      `InvalidGrant('${UPSTREAM_ERROR_TEXT.refreshTokenUsed}')`,
    ],
    // adapters/postgres.ts answers a reuse it catches in upstream's words.
    ['lib/helpers/grant_source.js', 'InvalidGrant(`${label} already consumed`)'],
    ['lib/helpers/grant_source.js', 'InvalidGrant(`${label} not found`)'],
    ['lib/helpers/grant_source.js', `InvalidGrant('${UPSTREAM_DETAIL_PREFIX.grant} not found')`],
    ['lib/helpers/grant_source.js', `InvalidGrant('${UPSTREAM_DETAIL_PREFIX.grant} is expired')`],
    ['lib/actions/grants/authorization_code.js', `'${UPSTREAM_DETAIL_PREFIX.authorizationCode}'`],
  ])('%s throws %s', (file, text) => {
    expect(source(file)).toContain(text);
  });

  it('PKCE refusals: invalid_grant caused by the texts keycloak-responses.ts matches', async () => {
    const { default: checkPKCE } = (await import(path.join(root, 'lib/helpers/pkce.js'))) as {
      default: (verifier: string | undefined, challenge: string, method: string) => void;
    };
    const refusal = (verifier: string | undefined) => {
      try {
        checkPKCE(verifier, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'S256');
      } catch (err) {
        return err as { error: string; cause?: Error };
      }
      return undefined;
    };
    const missing = refusal(undefined);
    expect(missing).toBeInstanceOf(errors.InvalidGrant);
    expect(missing?.cause?.message).toBe(UPSTREAM_ERROR_TEXT.codeVerifierMissing);
    const mismatch = refusal('a'.repeat(43));
    expect(mismatch?.cause?.message).toBe(UPSTREAM_ERROR_TEXT.codeVerifierMismatch);
    expect(UPSTREAM_PKCE_TEXT.test(mismatch!.cause!.message)).toBe(true);
  });

  it('a token request without grant_type: the error_description keycloak-responses.ts matches', async () => {
    const { default: validatePresence } = (await import(
      path.join(root, 'lib/helpers/validate_presence.js')
    )) as { default: (ctx: unknown, ...required: string[]) => void };
    expect(() => validatePresence({ oidc: { params: {} } }, 'grant_type')).toThrow(
      expect.objectContaining({
        error: 'invalid_request',
        error_description: UPSTREAM_ERROR_TEXT.missingGrantType,
      }),
    );
  });
});
