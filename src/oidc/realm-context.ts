/**
 * Everything the per-realm oidc-provider configuration needs, built once per realm version by
 * the realm registry (runtime/registry.ts) and shared by the oidc/ modules.
 */
import type { Metrics } from '../metrics.ts';
import type { StoredUser } from '../store/users.ts';
import type { Logger } from 'pino';
import type { SqlClient } from '../store/sql.ts';
import type { RealmModel } from '../model/model.ts';
import type { RealmKeys } from '../keys/realm-keys.ts';
import type { VerifyEmailSender } from './verify-email-sender.ts';

export interface RealmContext {
  realm: RealmModel;
  realmId: string;
  keys: RealmKeys;
  db: SqlClient;
  /** `${baseUrl}/realms/${realm}` */
  issuer: string;
  baseUrl: string;
  /** Keys for signed cookies (derived from the KEK, so all replicas agree). */
  cookieKeys: string[];
  secureCookies: boolean;
  /** PROXY_HEADERS=xforwarded: oidc-provider's own app believes X-Forwarded-* as the server's does (proxy-headers.ts). */
  trustProxyHeaders: boolean;
  /** Outgoing requests (back-channel logout) may reach loopback and private addresses. */
  allowPrivateNetworks: boolean;
  /** Outgoing mail (email/smtp.ts): the operator's SMTP_ALLOWED_HOSTS and SMTP_TIMEOUT_MS. */
  mail: { allowedHosts: string[]; timeoutMs: number };
  /** HMAC key of this realm's action tokens (tokens/action-token.ts), derived from the KEK. */
  actionTokenKey: Uint8Array;
  log: Logger;
  /** The server's counters (metrics.ts: tokens issued, login failures, lockouts). */
  metrics: Metrics;
  /** This runtime's service-account users by client id, with when they were read (oidc/provider.ts, 5 s). */
  serviceAccounts: Map<string, { user: StoredUser | undefined; at: number }>;
  /**
   * Sends VERIFY_EMAIL's mail (oidc/verify-email-sender.ts); the mailer's, given by
   * the realm registry. Absent: the page says the mail could not be sent.
   */
  verifyEmail?: VerifyEmailSender;
  /** Records a login event of this realm (Keycloak EventRepresentation fields); never throws. */
  loginEvent(
    type: string,
    event: {
      clientId?: string;
      userId?: string;
      ipAddress?: string;
      error?: string;
      details?: Record<string, string>;
    },
  ): void;
}

/** The alg a client's access tokens are signed with: client attribute, else realm default (Keycloak rule). */
export function accessTokenAlg(rc: RealmContext, clientId: string): string {
  return (
    rc.realm.client(clientId)?.attributes['access.token.signed.response.alg'] ||
    rc.realm.rep.defaultSignatureAlgorithm
  );
}

/** The alg a client's id tokens are signed with. */
export function idTokenAlg(rc: RealmContext, clientId: string): string {
  return (
    rc.realm.client(clientId)?.attributes['id.token.signed.response.alg'] ||
    rc.realm.rep.defaultSignatureAlgorithm
  );
}
