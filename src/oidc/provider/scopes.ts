/**
 * The scopes oidc-provider knows and the claims each releases: Keycloak's default client scopes
 * (the realm's own client scopes are added per realm, provider/configuration.ts).
 */
import type { Configuration } from 'oidc-provider';

/** Scopes with the claims they release (Keycloak's default client scopes). `openid` carries the
 * `profile`/`email` claims because Keycloak applies those scopes by default without a request. */
const PROFILE = [
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'middle_name',
  'nickname',
  'profile',
  'picture',
  'website',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'updated_at',
];
export const CLAIMS: Configuration['claims'] = {
  openid: ['sub', ...PROFILE, 'email', 'email_verified'],
  profile: PROFILE,
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};
export const SCOPES = [
  'openid',
  'offline_access',
  'profile',
  'email',
  'address',
  'phone',
  'roles',
  'web-origins',
  'acr',
  'basic',
  'microprofile-jwt',
];
