/**
 * oidc-provider 9.13.3's token models, as we patch them: the instance method
 * `getValueAndPayload()` (the value handed to the client, and the payload stored), the static
 * `find(value, options)` (a lookup by the value a client sends), `destroy()` (revocation),
 * `instantiate(payload)` (a model from a payload without storage), and `IdToken#issue(options)`
 * (`use` "idtoken" or "userinfo"). None is documented as an extension point; they are the
 * narrowest place where Keycloak's JWT-wrapped token values fit (keycloak-tokens.ts).
 * test/unit/oidc-upstream-contract.test.ts fails when an upgrade renames one or changes its arity.
 */
import type Provider from 'oidc-provider';

/** The names of oidc-provider's token model classes on a provider instance. */
export type TokenModelName = 'AccessToken' | 'ClientCredentials' | 'RefreshToken';

export type ValueAndPayload<P> = { value: string; payload?: P };

/** A token model class, typed as far as the patches use it. */
export type TokenModel<P = Record<string, unknown>> = {
  prototype: {
    getValueAndPayload(): Promise<ValueAndPayload<P>>;
    destroy(): Promise<void>;
  };
  find(value: unknown, options?: unknown): Promise<unknown>;
  instantiate(payload: Record<string, unknown>): unknown;
};

/** This provider's token model class `name` (each Provider has its own classes). */
export function tokenModel<P>(provider: Provider, name: TokenModelName): TokenModel<P> {
  return (provider as unknown as Record<TokenModelName, TokenModel<P>>)[name];
}

/**
 * Wraps `getValueAndPayload`: `wrap` gets upstream's result (the record id as value, and the
 * payload) with the instance as `this`, and returns what the client is given.
 */
export function wrapGetValueAndPayload<P, T extends object>(
  Model: TokenModel<P>,
  wrap: (this: T, original: ValueAndPayload<P>) => Promise<ValueAndPayload<P>>,
): void {
  const original = Model.prototype.getValueAndPayload;
  Model.prototype.getValueAndPayload = async function getValueAndPayload(this: T) {
    return wrap.call(this, await original.call(this));
  };
}

/** Replaces the static `find`; `find` gets upstream's (bound) to look the record id up. */
export function replaceFind<P>(
  Model: TokenModel<P>,
  find: (value: unknown, options: unknown, upstream: TokenModel<P>['find']) => Promise<unknown>,
): void {
  const upstream = Model.find.bind(Model);
  Model.find = (value: unknown, options?: unknown) => find(value, options, upstream);
}

/** Replaces `destroy()` (revocation, logout), called with the instance as `this`. */
export function replaceDestroy<P, T>(Model: TokenModel<P>, destroy: (this: T) => Promise<void>) {
  Model.prototype.destroy = destroy as TokenModel<P>['prototype']['destroy'];
}

/** The IdToken instance fields and methods the patch reads. */
export type IdTokenIssue<T> = (this: T, options: { use?: string }) => Promise<unknown>;

/** Wraps `IdToken#issue(options)`: `issue` gets upstream's, to call with the instance as `this`. */
export function wrapIdTokenIssue<T>(
  provider: Provider,
  issue: (this: T, options: { use?: string }, upstream: IdTokenIssue<T>) => Promise<unknown>,
): void {
  const IdToken = (provider as unknown as { IdToken: { prototype: { issue: IdTokenIssue<T> } } })
    .IdToken;
  const upstream = IdToken.prototype.issue;
  IdToken.prototype.issue = function issueKeycloakIdToken(this: T, options: { use?: string }) {
    return issue.call(this, options, upstream);
  };
}
