/**
 * Keycloak login behaviours over real HTTP with a cookie jar (issue 20, remaining gaps):
 * - required actions after an SSO-cookie login (AuthenticationManager.nextActionAfterAuthentication
 *   → actionRequired): an action an administrator adds, or VERIFY_EMAIL once `verifyEmail` is on,
 *   runs before the code, without the password; VerifyEmail.evaluateTriggers stores the action on
 *   the user, so it stays when the setting is switched off again;
 * - `forceExpiredPasswordChange(days)` (UpdatePassword.evaluateTriggers: the password's
 *   createdDate older than the days): UPDATE_PASSWORD at login, "Account is not fully set up" for
 *   the password grant;
 * - `max_age` (OIDC Core 3.1.2.1, handled by oidc-provider): a session older than it logs in again;
 * - two OTP credentials: login-otp.ftl's `selectedCredentialId` choice, the code checked against the
 *   chosen credential only (OTPFormAuthenticator.validateOTP); codes from test/helpers/otp.ts;
 * - users' `clientConsents` imported and exported back (RepresentationToModel / ExportUtils).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { keyOf, totp } from '../helpers/otp.ts';
import { PKCE_CHALLENGE } from '../helpers/authorization.ts';
import { exportRealm } from '../../src/realm/export.ts';
import { parseRealm, RealmImportError } from '../../src/realm/import.ts';

const CB = 'http://localhost:4000/cb';
const DAY = 86_400_000;
const SECRET_A = 'first-device-secret-0001';
const SECRET_B = 'second-device-secret-002';
const otp = (secret: string, userLabel?: string, createdDate?: number) => ({
  type: 'otp',
  ...(userLabel ? { userLabel } : {}),
  ...(createdDate ? { createdDate } : {}),
  secretData: JSON.stringify({ value: secret }),
  credentialData: '{"subType":"totp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}',
});
const CONSENT = {
  clientId: 'web',
  grantedClientScopes: ['email', 'profile'],
  createdDate: 1_700_000_000_000,
  lastUpdatedDate: 1_700_000_500_000,
};
const REALM = {
  realm: 'gaps',
  passwordPolicy: 'forceExpiredPasswordChange(30)',
  clients: [
    {
      clientId: 'web',
      publicClient: true,
      directAccessGrantsEnabled: true,
      redirectUris: ['http://localhost:4000/*'],
    },
  ],
  users: [
    {
      username: 'sso',
      email: 'sso@example.com',
      emailVerified: true,
      credentials: [{ value: 'sso-pw' }],
    },
    { username: 'unverified', email: 'unv@example.com', credentials: [{ value: 'unv-pw' }] },
    {
      username: 'old',
      emailVerified: true,
      credentials: [{ value: 'old-password', createdDate: Date.now() - 60 * DAY }],
    },
    {
      username: 'recent',
      emailVerified: true,
      credentials: [{ value: 'recent-password', createdDate: Date.now() - 10 * DAY }],
    },
    {
      username: 'twodevices',
      emailVerified: true,
      credentials: [
        { value: 'two-pw' },
        otp(SECRET_A, 'Phone', Date.now() - 2000),
        otp(SECRET_B, undefined, Date.now() - 1000),
      ],
    },
    {
      username: 'consenting',
      emailVerified: true,
      credentials: [{ value: 'consent-pw' }],
      clientConsents: [CONSENT],
    },
  ],
};

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [REALM],
  });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const P = `/realms/gaps/protocol/openid-connect`;
const authUrl = (extra: Record<string, string> = {}) =>
  `${server.baseUrl}${P}/auth?${new URLSearchParams({ client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: CB, code_challenge: PKCE_CHALLENGE, code_challenge_method: 'S256', ...extra })}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A browser walking the login: `done` is the redirect to the client, else `html` is the page. */
class Walk {
  readonly browser = new TestBrowser();
  html = '';
  done?: string;
  async go(url: string, init?: RequestInit) {
    this.done = undefined;
    const r = await this.browser.follow(url, server.baseUrl, init);
    if (r.response) this.html = await r.response.text();
    else this.done = r.url;
    return this;
  }
  start(extra?: Record<string, string>) {
    return this.go(authUrl(extra));
  }
  post(formId: string, fields: Record<string, string>) {
    const m = new RegExp(`<form id="${formId}" action="([^"]+)"`).exec(this.html);
    if (!m) throw new Error(`no form ${formId} in ${this.html.slice(0, 500)}`);
    const action = new URL(m[1].replace(/&amp;/g, '&'), server.baseUrl).toString();
    return this.go(action, { method: 'POST', headers: FORM, body: new URLSearchParams(fields) });
  }
  login(username: string, password: string) {
    return this.post('kc-form-login', { username, password });
  }
}
const code = (w: Walk) => w.done?.match(/[?&]code=/) !== null && w.done !== undefined;

/** The id token's claims for the code of `w.done` (RFC 7636 appendix B's verifier). */
async function idTokenOf(w: Walk): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.baseUrl}${P}/token`, {
    method: 'POST',
    headers: FORM,
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: 'web',
      redirect_uri: CB,
      code: new URL(w.done!).searchParams.get('code')!,
      code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    }),
  });
  const body = (await res.json()) as { id_token: string };
  return JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
}

const grant = async (username: string, password: string) => {
  const res = await fetch(`${server.baseUrl}${P}/token`, {
    method: 'POST',
    headers: FORM,
    body: new URLSearchParams({ grant_type: 'password', client_id: 'web', username, password }),
  });
  return { status: res.status, body: await res.json() };
};
const NOT_SET_UP = { error: 'invalid_grant', error_description: 'Account is not fully set up' };

async function kc() {
  const client = await masterAdmin(server.baseUrl);
  client.setConfig({ realmName: 'gaps' });
  return client;
}
const userOf = async (username: string) =>
  (await (await kc()).users.find({ username, exact: true }))[0];

describe('required actions after an SSO-cookie login', () => {
  it('an action an admin adds runs before the next code, without the password', async () => {
    const w = await (await new Walk().start()).login('sso', 'sso-pw');
    expect(code(w)).toBe(true);
    const firstAuthTime = (await idTokenOf(w)).auth_time;
    expect((await idTokenOf(await w.start())).acr).toBe('0');
    // The SSO cookie alone answers the next authorization (checked just above).
    const admin = await kc();
    const user = await userOf('sso');
    await admin.users.update({ id: user.id! }, { requiredActions: ['UPDATE_PASSWORD'] });
    // prompt=none cannot show the page: interaction_required (AuthorizationEndpointBase).
    await w.start({ prompt: 'none' });
    expect(new URL(w.done!).searchParams.get('error')).toBe('interaction_required');
    await w.start();
    expect(w.done).toBeUndefined();
    expect(w.html).toContain('name="password-new"');
    expect(w.html).not.toContain('id="kc-form-login"');
    await w.post('kc-passwd-update-form', {
      'password-new': 'sso-pw-2',
      'password-confirm': 'sso-pw-2',
    });
    expect(code(w)).toBe(true);
    // Still the SSO session: acr "0" (AcrStore), auth_time the first login's.
    const claims = await idTokenOf(w);
    expect(claims.acr).toBe('0');
    expect(claims.auth_time).toBe(firstAuthTime);
    expect((await admin.users.findOne({ id: user.id! }))?.requiredActions).toEqual([]);
    expect((await grant('sso', 'sso-pw-2')).status).toBe(200);
    // Done once: the cookie answers again.
    expect(code(await w.start())).toBe(true);
  });

  it('verifyEmail switched on: VERIFY_EMAIL before the code; the action stays on the user after it is switched off', async () => {
    const w = await (await new Walk().start()).login('unverified', 'unv-pw');
    expect(code(w)).toBe(true);
    const admin = await kc();
    await admin.realms.update({ realm: 'gaps' }, { verifyEmail: true });
    try {
      await w.start();
      expect(w.done).toBeUndefined();
      expect(w.html).toContain('id="kc-verify-email-form"');
      expect(w.html).not.toContain('id="kc-form-login"');
      // VerifyEmail.evaluateTriggers: user.addRequiredAction(VERIFY_EMAIL), stored.
      expect((await userOf('unverified')).requiredActions).toEqual(['VERIFY_EMAIL']);
    } finally {
      await admin.realms.update({ realm: 'gaps' }, { verifyEmail: false });
    }
    expect(await grant('unverified', 'unv-pw')).toEqual({ status: 400, body: NOT_SET_UP });
  });
});

describe('forceExpiredPasswordChange(30)', () => {
  it('a password set 60 days ago: UPDATE_PASSWORD at login, refused by the password grant', async () => {
    expect(await grant('old', 'old-password')).toEqual({ status: 400, body: NOT_SET_UP });
    expect((await userOf('old')).requiredActions).toEqual(['UPDATE_PASSWORD']);
    const w = await (await new Walk().start()).login('old', 'old-password');
    expect(w.html).toContain('name="password-new"');
    await w.post('kc-passwd-update-form', {
      'password-new': 'new-password-1',
      'password-confirm': 'new-password-1',
    });
    expect(code(w)).toBe(true);
    // The new password is fresh: no trigger any more.
    expect((await grant('old', 'new-password-1')).status).toBe(200);
  });

  it('a password set 10 days ago is not expired', async () => {
    expect((await grant('recent', 'recent-password')).status).toBe(200);
  });
});

describe('max_age', () => {
  it('a session older than max_age logs in again; a younger one is answered by the cookie', async () => {
    const w = await (await new Walk().start()).login('recent', 'recent-password');
    expect(code(w)).toBe(true);
    expect(code(await w.start({ max_age: '3600' }))).toBe(true);
    // Poll until the session is at least one second old, then max_age=0 asks for a login.
    await expect
      .poll(async () => (await w.start({ max_age: '0' })).html.includes('id="kc-form-login"'))
      .toBe(true);
    await w.login('recent', 'recent-password');
    expect(code(w)).toBe(true);
  });
});

describe('two OTP credentials', () => {
  it('the page lets the user choose; the code is checked against the chosen credential only', async () => {
    const w = await (await new Walk().start()).login('twodevices', 'two-pw');
    const radios = [...w.html.matchAll(/name="selectedCredentialId" value="([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(radios).toHaveLength(2);
    expect(w.html).toMatch(/<label for="kc-otp-credential-0"><input [^>]+> Phone<\/label>/);
    // OTPFormAuthenticator.UNNAMED for a credential without userLabel.
    expect(w.html).toMatch(/<label for="kc-otp-credential-1"><input [^>]+> unnamed<\/label>/);
    // The default (first) credential is preselected.
    expect(w.html).toContain(`value="${radios[0]}" checked="checked"`);
    // B's code with A chosen: refused, and the page keeps A chosen.
    await w.post('kc-otp-login-form', {
      otp: totp(keyOf(SECRET_B)),
      selectedCredentialId: radios[0],
    });
    expect(w.html).toContain('Invalid authenticator code.');
    // A credential id of no credential of the user matches nothing.
    await w.post('kc-otp-login-form', { otp: totp(keyOf(SECRET_B)), selectedCredentialId: 'x' });
    expect(w.html).toContain('Invalid authenticator code.');
    await w.post('kc-otp-login-form', {
      otp: totp(keyOf(SECRET_B)),
      selectedCredentialId: radios[1],
    });
    expect(code(w)).toBe(true);
  });
});

describe('consents in realm import and export', () => {
  it('an imported clientConsents entry is the stored consent, exported back as Keycloak writes it', async () => {
    const admin = await kc();
    const user = await userOf('consenting');
    expect(user).not.toHaveProperty('clientConsents');
    const consents = await admin.users.listConsents({ id: user.id! });
    expect(consents).toEqual([
      expect.objectContaining({
        clientId: 'web',
        grantedClientScopes: ['email', 'profile'],
        createdDate: CONSENT.createdDate,
        lastUpdatedDate: CONSENT.lastUpdatedDate,
      }),
    ]);
    const exported = await exportRealm(server.db, 'gaps', { users: true });
    const rep = exported.users.find((u) => u.username === 'consenting') as {
      clientConsents?: unknown;
    };
    expect(rep.clientConsents).toEqual([CONSENT]);
    // Round trip: the exported realm parses back with the same consent.
    const again = parseRealm({ ...exported, realm: 'gaps-copy' }, 'export');
    expect(
      (again.users.find((u) => u.username === 'consenting') as { clientConsents?: unknown })
        .clientConsents,
    ).toEqual([CONSENT]);
    // A user without consents has no clientConsents (ExportUtils sets it only when non-empty).
    expect(exported.users.find((u) => u.username === 'recent')).not.toHaveProperty(
      'clientConsents',
    );
  });

  it('a consent naming a client the realm lacks refuses the import', () => {
    const bad = {
      realm: 'bad',
      users: [{ username: 'u', clientConsents: [{ clientId: 'nope', grantedClientScopes: [] }] }],
    };
    expect(() => parseRealm(bad, 'bad.json')).toThrow(RealmImportError);
    expect(() => parseRealm(bad, 'bad.json')).toThrow(
      'users[0].clientConsents[0].clientId: Unable to find client specified for consent mappings: nope',
    );
  });
});
