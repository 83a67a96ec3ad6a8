/**
 * oidc-provider 9.13.3's Client model, as we patch it. Each patch is a method of
 * `provider.Client.prototype` (or `provider.Client.Schema.prototype`) that oidc-provider's own
 * documentation names as the place to change the behaviour (its "Recipes": redirect URI rules,
 * HTTP and localhost redirects for implicit clients); the types are ours, upstream does not
 * export them. test/unit/oidc-upstream-contract.test.ts fails when an upgrade moves any of them.
 */
import type Provider from 'oidc-provider';

/** The Client instance fields and methods the patches read or replace. */
export type ClientInstance = {
  clientId: string;
  responseTypes: string[];
  redirectUris: string[];
  includeSid(): boolean;
  redirectUriAllowed(uri: string): boolean;
  postLogoutRedirectUriAllowed(uri: string): boolean;
  responseTypeAllowed(type: string): boolean;
};

/** Client#… methods replaced, each called with the client as `this`, as upstream calls them. */
export type ClientOverrides = {
  [
    K in
      'includeSid' | 'redirectUriAllowed' | 'postLogoutRedirectUriAllowed' | 'responseTypeAllowed'
  ]?: (
    this: ClientInstance,
    ...args: Parameters<ClientInstance[K]>
  ) => ReturnType<ClientInstance[K]>;
};

/** Replaces methods of this provider's Client prototype (each Provider has its own Client class). */
export function patchClientPrototype(provider: Provider, overrides: ClientOverrides): void {
  const ClientModel = provider.Client as unknown as { prototype: ClientInstance };
  Object.assign(ClientModel.prototype, overrides);
}

/**
 * Skips the client metadata checks with these `code`s (Client.Schema#invalidate(message, code));
 * every other check still throws `invalid_client_metadata`.
 */
export function skipClientMetadataChecks(provider: Provider, codes: ReadonlySet<string>): void {
  const Schema = (
    provider.Client as unknown as {
      Schema: { prototype: { invalidate(message: string, code?: string): void } };
    }
  ).Schema;
  const invalidate = Schema.prototype.invalidate;
  Schema.prototype.invalidate = function keycloakInvalidate(message: string, code?: string) {
    if (code !== undefined && codes.has(code)) return;
    invalidate.call(this, message, code);
  };
}
