/** Types of the oidc-provider 9.13.3 internal helpers dpop.ts uses (package pinned in package.json). */
declare module 'oidc-provider/lib/helpers/validate_dpop.js' {
  export default function validateDpop(
    provider: unknown,
    ctx: unknown,
    accessToken?: string,
  ): Promise<unknown>;
}
declare module 'oidc-provider/lib/helpers/grant_common.js' {
  export function applyDpopBinding(
    provider: unknown,
    ctx: unknown,
    dPoP: unknown,
    at: object,
  ): Promise<void>;
}
declare module 'oidc-provider/lib/helpers/set_rt_bindings.js' {
  export function setRefreshTokenBindings(ctx: unknown, at: object, rt: object): Promise<void>;
}
