/**
 * Admin API helpers for tests: tokens by password or client-credentials grant, the master
 * realm's bootstrap admin as a logged-in keycloak-admin-client, and one admin request with a
 * bearer token answering `{ status, body }` (body parsed when it is JSON).
 */
import KcAdminClient from '@keycloak/keycloak-admin-client';

/** The bootstrap admin's password in test servers (test/helpers/server.ts imports realms/master.json with it). */
export const TEST_ADMIN_PASSWORD = 'admin-test-password';

/**
 * A keycloak-admin-client logged in to the master realm as the bootstrap admin (password grant
 * on admin-cli, as `kcadm.sh config credentials` does).
 */
export async function masterAdmin(
  baseUrl: string,
  password = TEST_ADMIN_PASSWORD,
): Promise<KcAdminClient> {
  const kc = new KcAdminClient({ baseUrl, realmName: 'master' });
  await kc.auth({ username: 'admin', password, grantType: 'password', clientId: 'admin-cli' });
  return kc;
}
export async function passwordToken(
  baseUrl: string,
  realm: string,
  username: string,
  password: string,
  clientId = 'admin-cli',
): Promise<string> {
  return token(baseUrl, realm, { grant_type: 'password', client_id: clientId, username, password });
}

export async function clientToken(
  baseUrl: string,
  realm: string,
  clientId: string,
  secret: string,
): Promise<string> {
  return token(baseUrl, realm, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: secret,
  });
}

async function token(
  baseUrl: string,
  realm: string,
  form: Record<string, string>,
): Promise<string> {
  const response = await fetch(`${baseUrl}/realms/${realm}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token)
    throw new Error(
      `no token for ${realm}/${form.username ?? form.client_id}: ${response.status} ${JSON.stringify(body)}`,
    );
  return body.access_token;
}

export interface AdminAnswer {
  status: number;
  body: unknown;
  text: string;
}

/** `method` `/admin/realms{path}` with the token; `body` is sent as JSON unless it is a string (sent as is). */
export async function adminCall(
  baseUrl: string,
  accessToken: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<AdminAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${accessToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}/admin/realms${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: response.status, body: parsed, text };
}

/**
 * The HTTP status and body a rejected `@keycloak/keycloak-admin-client` call carries.
 * @throws Error when the call succeeds.
 */
export async function failure(call: Promise<unknown>): Promise<{ status?: number; body: unknown }> {
  try {
    await call;
  } catch (err) {
    return {
      status: (err as { response?: Response }).response?.status,
      body: (err as { responseData?: unknown }).responseData,
    };
  }
  throw new Error('the call succeeded');
}
