/**
 * `GET /realms/{realm}/account/credentials` and `DELETE .../credentials/{id}`
 * (AccountCredentialResource, Keycloak 26):
 * - GET (manage-account or view-profile; `?type=` one type, `?user-credentials=false` no
 *   credentials): one CredentialContainer per credential type this server logs in with, sorted as
 *   Keycloak's CredentialTypeMetadata (basic-authentication before two-factor): `password`
 *   (PasswordCredentialProvider: updateAction UPDATE_PASSWORD when the user has one, else
 *   createAction; not removeable) and `otp` (OTPCredentialProvider: createAction CONFIGURE_TOTP,
 *   removeable). Each holds `userCredentialMetadatas: [{credential: {id, type, userLabel?,
 *   createdDate, credentialData}}]`; secrets never leave the store (the query does not read them).
 * - DELETE (manage-account): removes one of the caller's OTP credentials, 204; another user's or
 *   an unknown id is 404 `{"error":"Credential not found"}`; a password 400 `{"error":"Credential
 *   type cannot be removed"}` (CredentialDeleteHelper). Records REMOVE_CREDENTIAL and REMOVE_TOTP.
 * The account console itself changes a password or removes a credential through the login flow
 * (`kc_action=UPDATE_PASSWORD`, `kc_action=delete_credential:{id}`).
 */
import type { Context } from 'koa';
import { requireOneOf, type AccountCaller } from './auth.ts';
import { jaxrs } from './errors.ts';

interface CredentialType {
  type: string;
  category: string;
  displayName: string;
  helptext: string;
  iconCssClass: string;
  removeable: boolean;
  /** The required action that sets it up (create) or changes it (update), given whether the user has one. */
  actions(has: boolean): { createAction?: string; updateAction?: string };
}

/** The credential types of this server, in Keycloak's order. */
export const CREDENTIAL_TYPES: CredentialType[] = [
  {
    type: 'password',
    category: 'basic-authentication',
    displayName: 'password-display-name',
    helptext: 'password-help-text',
    iconCssClass: 'kcAuthenticatorPasswordClass',
    removeable: false,
    actions: (has) =>
      has ? { updateAction: 'UPDATE_PASSWORD' } : { createAction: 'UPDATE_PASSWORD' },
  },
  {
    type: 'otp',
    category: 'two-factor',
    displayName: 'otp-display-name',
    helptext: 'otp-help-text',
    iconCssClass: 'kcAuthenticatorOTPClass',
    removeable: true,
    actions: () => ({ createAction: 'CONFIGURE_TOTP' }),
  },
];

type CredentialRow = {
  id: string;
  type: string;
  created_at?: string | Date;
  user_label?: string | null;
  credential_data?: unknown;
};

/** The user's credentials without their secrets (every column but `secret_data`, whatever the schema adds). */
async function credentialRows(caller: AccountCaller): Promise<CredentialRow[]> {
  const rows = await caller.runtime.rc.db.query<{ row: CredentialRow }>(
    "SELECT to_jsonb(c) - 'secret_data' AS row FROM credentials c WHERE c.user_id = $1 ORDER BY c.created_at, c.id",
    [caller.user.id],
  );
  return rows.map((r) => r.row);
}

/** Keycloak's CredentialRepresentation of a stored credential, secretData left out. */
function credentialRep(row: CredentialRow) {
  const data = row.credential_data;
  return {
    id: row.id,
    type: row.type,
    ...(row.user_label ? { userLabel: row.user_label } : {}),
    createdDate: row.created_at ? new Date(row.created_at).getTime() : undefined,
    credentialData: typeof data === 'string' ? data : JSON.stringify(data ?? {}),
  };
}

export async function getCredentials(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account', 'view-profile');
  const only = typeof ctx.query.type === 'string' ? ctx.query.type : undefined;
  const withCredentials = ctx.query['user-credentials'] !== 'false';
  const rows = await credentialRows(caller);
  const ofType = (t: string) =>
    rows.filter((r) => r.type === t || (t === 'otp' && (r.type === 'totp' || r.type === 'hotp')));
  ctx.body = CREDENTIAL_TYPES.filter(
    (t) => !only || only === t.type || (t.type === 'otp' && ['totp', 'hotp'].includes(only)),
  ).map((t) => ({
    type: t.type,
    category: t.category,
    displayName: t.displayName,
    helptext: t.helptext,
    iconCssClass: t.iconCssClass,
    ...t.actions(ofType(t.type).length > 0),
    removeable: t.removeable,
    ...(withCredentials
      ? { userCredentialMetadatas: ofType(t.type).map((r) => ({ credential: credentialRep(r) })) }
      : {}),
  }));
}

export async function deleteCredential(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account');
  const id = String(ctx.params.credentialId);
  const { db } = caller.runtime.rc;
  const [row] = await db.query<{ type: string; user_label: string | null }>(
    "SELECT type, to_jsonb(c)->>'user_label' AS user_label FROM credentials c WHERE id = $1 AND user_id = $2",
    [id, caller.user.id],
  );
  if (!row) throw jaxrs(404, 'Credential not found');
  const type = ['totp', 'hotp'].includes(row.type) ? 'otp' : row.type;
  const known = CREDENTIAL_TYPES.find((t) => t.type === type);
  if (!known) throw jaxrs(404, 'Credential provider not found');
  if (!known.removeable) throw jaxrs(400, 'Credential type cannot be removed');
  await db.query('DELETE FROM credentials WHERE id = $1 AND user_id = $2', [id, caller.user.id]);
  const details = {
    credential_type: row.type,
    selected_credential_id: id,
    ...(row.user_label ? { credential_user_label: row.user_label } : {}),
  };
  const event = { clientId: caller.clientId, userId: caller.user.id, ipAddress: ctx.ip, details };
  if (type === 'otp') caller.runtime.rc.loginEvent('REMOVE_TOTP', event);
  caller.runtime.rc.loginEvent('REMOVE_CREDENTIAL', event);
  ctx.status = 204;
  ctx.body = null;
}
