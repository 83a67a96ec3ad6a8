/** `oidc-provider-stock` is oidc-provider 9.13.3 under a package alias (unpatched): same types. */
declare module 'oidc-provider-stock' {
  export * from 'oidc-provider';
  export { default } from 'oidc-provider';
}
