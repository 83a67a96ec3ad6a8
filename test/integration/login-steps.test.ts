/**
 * The login after the password (Keycloak's required actions and OTP) over real HTTP with a cookie
 * jar: a temporary password is changed before a code is issued; an imported Keycloak `otp`
 * credential needs its code (computed by test/helpers/otp.ts, node:crypto, not otplib); a used
 * code is refused; wrong codes count for brute force; TOTP enrolment reads the key from the page;
 * terms, profile and email verification pages; the password grant's refusals (Keycloak's
 * ValidateOTP `totp` parameter, "Account is not fully set up"); the admin API's required actions
 * and credentials (keycloak-admin-client).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { FIXTURES, REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { asJson } from '../helpers/json.ts';
import { base32Decode, hotp, keyOf, totp } from '../helpers/otp.ts';
import type { VerifyEmailRequest } from '../../src/oidc/verify-email-sender.ts';

const CB = 'http://localhost:4000/cb';
const SECRET = 'ZmxhdC1zZWNyZXQtMTIzNDU2';
const otpCredential = (secret: string) => ({
  type: 'otp',
  userLabel: 'Phone',
  secretData: JSON.stringify({ value: secret }),
  credentialData: '{"subType":"totp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}',
});
const REALM = {
  realm: 'steps',
  passwordPolicy: 'length(10) and notUsername',
  bruteForceProtected: true,
  failureFactor: 3,
  waitIncrementSeconds: 60,
  maxFailureWaitSeconds: 60,
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
      username: 'temp',
      email: 'temp@example.com',
      firstName: 'T',
      lastName: 'U',
      credentials: [{ value: 'first-password', temporary: true }],
    },
    { username: 'otpuser', credentials: [{ value: 'otp-password' }, otpCredential(SECRET)] },
    {
      username: 'hotpuser',
      credentials: [
        { value: 'hotp-pw' },
        {
          type: 'otp',
          secretData: JSON.stringify({ value: '12345678901234567890' }),
          credentialData:
            '{"subType":"hotp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}',
        },
      ],
    },
    { username: 'granted', credentials: [{ value: 'granted-pw' }, otpCredential(SECRET)] },
    { username: 'guessed', credentials: [{ value: 'guessed-pw' }, otpCredential(SECRET)] },
    {
      username: 'enrol',
      requiredActions: ['CONFIGURE_TOTP'],
      credentials: [{ value: 'enrol-pw' }],
    },
    {
      username: 'newbie',
      requiredActions: ['UPDATE_PROFILE', 'TERMS_AND_CONDITIONS'],
      credentials: [{ value: 'newbie-pw' }],
    },
    {
      username: 'unverified',
      email: 'unverified@example.com',
      requiredActions: ['VERIFY_EMAIL'],
      credentials: [{ value: 'unverified-pw' }],
    },
  ],
};

/** A realm with `verifyEmail: true` (Keycloak's "Verify email" login setting). */
const VERIFY_REALM = {
  realm: 'verify',
  verifyEmail: true,
  clients: REALM.clients,
  users: [
    { username: 'fresh', email: 'fresh@example.com', credentials: [{ value: 'fresh-password' }] },
    {
      username: 'checked',
      email: 'checked@example.com',
      emailVerified: true,
      credentials: [{ value: 'checked-password' }],
    },
  ],
};

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    realmFiles: [
      path.join(REPO, 'realms', 'master.json'),
      path.join(FIXTURES, 'adaptive-authn-adaptive-kc26.5.7.json'),
    ],
    realms: [REALM, VERIFY_REALM],
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const P = (realm: string) => `${server.baseUrl}/realms/${realm}/protocol/openid-connect`;
const authUrl = () =>
  `${P('steps')}/auth?${new URLSearchParams({ client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: CB })}`;
const now = () => Math.floor(Date.now() / 1000);

/** The action of the form with this id on the page. */
function formAction(html: string, id: string): string {
  const match = new RegExp(`<form id="${id}" action="([^"]+)"`).exec(html);
  if (!match) throw new Error(`no form ${id} in page: ${html.slice(0, 600)}`);
  return new URL(match[1].replace(/&amp;/g, '&'), server.baseUrl).toString();
}

/** A browser at some page of the login, posting its forms. */
class Login {
  readonly browser = new TestBrowser();
  html = '';
  status = 0;
  /** The redirect to the client, once the login ended. */
  done?: string;
  /** Follows redirects until a page, or a redirect carrying the login's answer (code or error). */
  async walk(first: Response, from: string) {
    let [res, url] = [first, from];
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i += 1) {
      url = new URL(res.headers.get('location')!, url).toString();
      if (/[?&#](code|error)=/.test(url) || !url.startsWith(server.baseUrl)) {
        this.done = url;
        return this;
      }
      res = await this.browser.fetch(url);
    }
    [this.status, this.html] = [res.status, await res.text()];
    return this;
  }
  async start(url = authUrl()) {
    return this.walk(await this.browser.fetch(url), url);
  }
  async post(formId: string, fields: Record<string, string>) {
    const action = formAction(this.html, formId);
    const res = await this.browser.fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    return this.walk(res, action);
  }
  password(username: string, password: string) {
    return this.post('kc-form-login', { username, password });
  }
  otp(code: string) {
    return this.post('kc-otp-login-form', { otp: code });
  }
}

const grant = async (realm: string, client: string, fields: Record<string, string>) => {
  const res = await fetch(`${P(realm)}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: client, ...fields }),
  });
  return { status: res.status, body: asJson(await res.json()) };
};
const INVALID = { error: 'invalid_grant', error_description: 'Invalid user credentials' };
const NOT_SET_UP = { error: 'invalid_grant', error_description: 'Account is not fully set up' };

describe('UPDATE_PASSWORD (a temporary password)', () => {
  it('the password grant refuses the user; the browser login makes them change it, then gives a code', async () => {
    expect(await grant('steps', 'web', { username: 'temp', password: 'first-password' })).toEqual({
      status: 400,
      body: NOT_SET_UP,
    });
    const login = await (await new Login().start()).password('temp', 'first-password');
    expect(login.done).toBeUndefined();
    expect(login.html).toContain('Update password');
    expect(login.html).toContain('You need to change your password to activate your account.');
    expect(login.html).toContain('name="password-new"');
    expect(login.html).toContain('name="password-confirm"');
    await login.post('kc-passwd-update-form', { 'password-new': '', 'password-confirm': '' });
    expect(login.html).toContain('Please specify password.');
    await login.post('kc-passwd-update-form', { 'password-new': 'a-b', 'password-confirm': 'a-c' });
    expect(login.html).toContain('Passwords don&#39;t match.');
    // The realm's password policy (realm/password-policy.ts), Keycloak's messages_en texts.
    await login.post('kc-passwd-update-form', {
      'password-new': 'short',
      'password-confirm': 'short',
    });
    expect(login.html).toContain('Invalid password: minimum length 10.');
    await login.post('kc-passwd-update-form', {
      'password-new': 'second-password',
      'password-confirm': 'second-password',
    });
    expect(login.done).toMatch(/^http:\/\/localhost:4000\/cb\?code=/);
    expect(
      (await grant('steps', 'web', { username: 'temp', password: 'second-password' })).status,
    ).toBe(200);
    expect(await grant('steps', 'web', { username: 'temp', password: 'first-password' })).toEqual({
      status: 401,
      body: INVALID,
    });
  });

  it('admin reset-password with temporary: true sets the action again (keycloak-admin-client)', async () => {
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'steps' });
    const [user] = await kc.users.find({ username: 'temp', exact: true });
    await kc.users.resetPassword({
      id: user.id!,
      credential: { type: 'password', value: 'third-password', temporary: true },
    });
    expect((await kc.users.findOne({ id: user.id! }))?.requiredActions).toContain(
      'UPDATE_PASSWORD',
    );
    expect(await grant('steps', 'web', { username: 'temp', password: 'third-password' })).toEqual({
      status: 400,
      body: NOT_SET_UP,
    });
  });
});

describe('OTP', () => {
  it('an imported Keycloak otp credential (fixture): the password alone gets the OTP page, the code a login', async () => {
    const url = `${P('adaptive')}/auth?${new URLSearchParams({ client_id: 'account-console', response_type: 'code', scope: 'openid', redirect_uri: `${server.baseUrl}/realms/adaptive/account/`, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`;
    const login = await (await new Login().start(url)).password('user', 'user');
    expect(login.done).toBeUndefined();
    expect(login.html).toContain('One-time code');
    expect(login.html).toContain('name="otp"');
    await login.otp('000000' === totp(keyOf('4Jn5HLu96t4oxRTVNO8u')) ? '111111' : '000000');
    expect(login.html).toContain('Invalid authenticator code.');
    await login.otp(totp(keyOf('4Jn5HLu96t4oxRTVNO8u')));
    expect(login.done).toContain('code=');
  });

  it('a code is accepted once: the same code in a second login is refused', async () => {
    const code = totp(keyOf(SECRET));
    const first = await (await new Login().start()).password('otpuser', 'otp-password');
    await first.otp(code);
    expect(first.done).toContain('code=');
    const second = await (await new Login().start()).password('otpuser', 'otp-password');
    await second.otp(code);
    expect(second.done).toBeUndefined();
    expect(second.html).toContain('Invalid authenticator code.');
    // The next step's code is within the look-around window (1) and later than the used one.
    await second.otp(totp(keyOf(SECRET), now() + 30));
    expect(second.done).toContain('code=');
  });

  it('password grant: the `totp` parameter (missing, wrong, used: 401 invalid_grant), the right code: tokens', async () => {
    const base = { username: 'granted', password: 'granted-pw' };
    expect(await grant('steps', 'web', base)).toEqual({ status: 401, body: INVALID });
    const code = totp(keyOf(SECRET));
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(await grant('steps', 'web', { ...base, totp: wrong })).toEqual({
      status: 401,
      body: INVALID,
    });
    const ok = await grant('steps', 'web', { ...base, totp: code });
    expect(ok.status).toBe(200);
    expect(ok.body.access_token).toBeTypeOf('string');
    expect(await grant('steps', 'web', { ...base, totp: code })).toEqual({
      status: 401,
      body: INVALID,
    });
  });

  it('HOTP (RFC 4226 counter): a code moves the counter; the same code again is refused, the next one works', async () => {
    const key = keyOf('12345678901234567890');
    const base = { username: 'hotpuser', password: 'hotp-pw' };
    expect((await grant('steps', 'web', { ...base, totp: hotp(key, 0) })).status).toBe(200);
    expect(await grant('steps', 'web', { ...base, totp: hotp(key, 0) })).toEqual({
      status: 401,
      body: INVALID,
    });
    const login = await (await new Login().start()).password('hotpuser', 'hotp-pw');
    await login.otp(hotp(key, 1));
    expect(login.done).toContain('code=');
  });

  it('wrong codes count as brute-force failures: after failureFactor the right code is refused', async () => {
    const login = await (await new Login().start()).password('guessed', 'guessed-pw');
    const code = totp(keyOf(SECRET));
    const wrong = code === '123456' ? '654321' : '123456';
    for (let i = 0; i < 3; i += 1) {
      await login.otp(wrong);
      expect(login.html).toContain('Invalid authenticator code.');
    }
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'steps' });
    const [user] = await kc.users.find({ username: 'guessed', exact: true });
    expect((await kc.attackDetection.findOne({ id: user.id! }))?.numFailures).toBe(3);
    await login.otp(code);
    expect(login.done).toBeUndefined();
    expect(login.html).toContain('Invalid authenticator code.');
    expect(
      await grant('steps', 'web', {
        username: 'guessed',
        password: 'guessed-pw',
        totp: totp(keyOf(SECRET), now() + 30),
      }),
    ).toEqual({ status: 401, body: INVALID });
    // A right password does not clear the OTP failures of a user who still owes the code.
    const again = await (await new Login().start()).password('guessed', 'guessed-pw');
    expect(again.html).toContain('Invalid username or password.');
  });

  it('CONFIGURE_TOTP: the key read from the page enrols; the credential is listed without its secret and can be deleted', async () => {
    const login = await (await new Login().start()).password('enrol', 'enrol-pw');
    expect(login.html).toContain('Mobile Authenticator Setup');
    expect(login.html).toContain('Unable to scan?');
    expect(login.html).toContain('<svg');
    expect(login.html).toContain('Google Authenticator');
    const shown = /<code id="kc-totp-secret-key" class="key">([^<]+)<\/code>/.exec(login.html)![1];
    const key = base32Decode(shown);
    await login.post('kc-totp-settings-form', { totp: '', userLabel: '' });
    expect(login.html).toContain('Please specify authenticator code.');
    // The page shown again keeps the same key.
    expect(login.html).toContain(shown);
    await login.post('kc-totp-settings-form', { totp: totp(key), userLabel: 'Laptop' });
    expect(login.done).toContain('code=');

    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'steps' });
    const [user] = await kc.users.find({ username: 'enrol', exact: true });
    expect(user.totp).toBe(true);
    expect(user.requiredActions).toEqual([]);
    const creds = await kc.users.getCredentials({ id: user.id! });
    const otp = creds.find((c) => c.type === 'otp')!;
    expect(otp).toMatchObject({ type: 'otp', userLabel: 'Laptop' });
    expect(JSON.parse(otp.credentialData!)).toEqual({
      subType: 'totp',
      digits: 6,
      counter: 0,
      period: 30,
      algorithm: 'HmacSHA1',
    });
    expect(JSON.stringify(creds)).not.toContain('secretData');
    // The enrolment's own code is used up; the next login needs a fresh one.
    const next = await (await new Login().start()).password('enrol', 'enrol-pw');
    expect(next.html).toContain('name="otp"');
    await next.otp(totp(key, now() + 30));
    expect(next.done).toContain('code=');

    await kc.users.deleteCredential({ id: user.id!, credentialId: otp.id! });
    expect((await kc.users.findOne({ id: user.id! }))?.totp).toBe(false);
    const plain = await (await new Login().start()).password('enrol', 'enrol-pw');
    expect(plain.done).toContain('code=');
    const missing = await fetch(
      `${server.baseUrl}/admin/realms/steps/users/${user.id}/credentials/${otp.id}`,
      { method: 'DELETE', headers: { authorization: `Bearer ${kc.accessToken}` } },
    );
    expect(missing.status).toBe(404);
    expect(asJson(await missing.json())).toEqual({ error: 'Credential not found' });
  });
});

describe('OTP secrets at rest', () => {
  it('are sealed in the credentials table and opened for a realm export (Keycloak exports them in clear)', async () => {
    const rows = await server.db.query<{ secret_data: unknown }>(
      "SELECT c.secret_data FROM credentials c JOIN users u ON u.id = c.user_id WHERE u.username = 'otpuser' AND c.type = 'otp'",
    );
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows[0].secret_data)).not.toContain(SECRET);
    expect((rows[0].secret_data as { value: string }).value).toMatch(/^qsign-sealed:/);
    const { exportUsers } = await import('../../src/realm/export.ts');
    const realmId = (await server.registry.get('steps'))!.rc.realmId;
    const user = (await exportUsers(server.db, realmId)).find((u) => u.username === 'otpuser')!;
    const otp = user.credentials.find((c) => c.type === 'otp')!;
    expect(JSON.parse(otp.secretData!)).toEqual({ value: SECRET });
    expect(otp).toMatchObject({ userLabel: 'Phone' });
  });
});

describe('terms, profile, email verification', () => {
  it('TERMS_AND_CONDITIONS (enabled through the admin API) then UPDATE_PROFILE, in priority order', async () => {
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'steps' });
    const terms = await kc.authenticationManagement.getRequiredActionForAlias({
      alias: 'TERMS_AND_CONDITIONS',
    });
    expect(terms).toMatchObject({ alias: 'TERMS_AND_CONDITIONS', enabled: false, priority: 20 });
    await kc.authenticationManagement.updateRequiredAction(
      { alias: 'TERMS_AND_CONDITIONS' },
      { ...terms, enabled: true },
    );
    const login = await (await new Login().start()).password('newbie', 'newbie-pw');
    expect(login.html).toContain('Terms and Conditions');
    expect(login.html).toContain('Terms and conditions to be defined');
    await login.post('kc-terms-form', { accept: 'accept' });
    expect(login.html).toContain('Update Account Information');
    expect(login.html).toContain('You need to update your user profile to activate your account.');
    await login.post('kc-update-profile-form', {
      email: 'not-an-email',
      firstName: 'N',
      lastName: 'B',
    });
    expect(login.html).toContain('Invalid email address.');
    await login.post('kc-update-profile-form', {
      email: 'temp@example.com',
      firstName: 'N',
      lastName: 'B',
    });
    expect(login.html).toContain('Email already exists.');
    await login.post('kc-update-profile-form', {
      email: 'new@example.com',
      firstName: '',
      lastName: 'B',
    });
    expect(login.html).toContain('Please specify first name.');
    await login.post('kc-update-profile-form', {
      email: 'new@example.com',
      firstName: 'New',
      lastName: 'Bie',
    });
    expect(login.done).toContain('code=');
    const [user] = await kc.users.find({ username: 'newbie', exact: true });
    expect(user).toMatchObject({
      email: 'new@example.com',
      firstName: 'New',
      lastName: 'Bie',
      requiredActions: [],
    });
    expect(user.attributes?.terms_and_conditions?.[0]).toMatch(/^\d+$/);
  });

  it('VERIFY_EMAIL: the mail goes out through the realm seam; the login goes on once the link verified the address', async () => {
    const runtime = (await server.registry.get('steps'))!;
    const sent: VerifyEmailRequest[] = [];
    runtime.rc.verifyEmail = undefined;
    const failing = await (await new Login().start()).password('unverified', 'unverified-pw');
    expect(failing.html).toContain(
      'You need to verify your email address to activate your account.',
    );
    expect(failing.html).toContain('Failed to send email, please try again later.');

    runtime.rc.verifyEmail = { sendVerifyEmail: async (r) => void sent.push(r) };
    const login = await (await new Login().start()).password('unverified', 'unverified-pw');
    expect(login.html).toContain(
      'An email with instructions to verify your email address has been sent to your address unverified@example.com.',
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ clientId: 'web', redirectUri: CB });
    await login.post('kc-verify-email-form', { resend: 'resend' });
    expect(sent).toHaveLength(2);
    await login.post('kc-verify-email-form', { continue: 'continue' });
    expect(login.done).toBeUndefined();
    // What the mailer's link does: the email verified, the action gone; then the login resumes.
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'steps' });
    const [user] = await kc.users.find({ username: 'unverified', exact: true });
    await kc.users.update({ id: user.id! }, { ...user, emailVerified: true, requiredActions: [] });
    const resumed = await login.browser.follow(sent[1].resume, server.baseUrl);
    expect(resumed.url).toContain('code=');
  });
});

describe("the realm's verifyEmail", () => {
  // VerifyEmail.evaluateTriggers adds VERIFY_EMAIL to an unverified user at every login, so the
  // direct grant answers "Account is not fully set up" and the browser shows the verify page.
  it('an unverified user: the password grant refuses, the browser login shows the VERIFY_EMAIL page', async () => {
    const refused = await grant('verify', 'web', { username: 'fresh', password: 'fresh-password' });
    expect(refused).toEqual({ status: 400, body: NOT_SET_UP });
    const login = await new Login().start(
      `${P('verify')}/auth?${new URLSearchParams({ client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: CB })}`,
    );
    await login.password('fresh', 'fresh-password');
    expect(login.done).toBeUndefined();
    expect(login.html).toContain('required-action/VERIFY_EMAIL');
  });

  it('a verified user is let in', async () => {
    const ok = await grant('verify', 'web', { username: 'checked', password: 'checked-password' });
    expect(ok.status).toBe(200);
  });
});

describe('admin API: required actions', () => {
  it("lists Keycloak's actions, reads one, updates, and lists the unregistered ones", async () => {
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'adaptive' });
    const list = await kc.authenticationManagement.getRequiredActions();
    expect(list.map((a) => a.alias)).toContain('CONFIGURE_TOTP');
    expect(list[0]).toMatchObject({
      alias: 'CONFIGURE_TOTP',
      name: 'Configure OTP',
      providerId: 'CONFIGURE_TOTP',
    });
    await kc.authenticationManagement.updateRequiredAction(
      { alias: 'UPDATE_PASSWORD' },
      { ...list.find((a) => a.alias === 'UPDATE_PASSWORD'), enabled: false },
    );
    expect(
      (await kc.authenticationManagement.getRequiredActionForAlias({ alias: 'UPDATE_PASSWORD' }))
        .enabled,
    ).toBe(false);
    const missing = await fetch(
      `${server.baseUrl}/admin/realms/adaptive/authentication/required-actions/NOPE`,
      { headers: { authorization: `Bearer ${kc.accessToken}` } },
    );
    expect(missing.status).toBe(404);
    expect(asJson(await missing.json())).toEqual({ error: 'Failed to find required action' });
    expect(Array.isArray(await kc.authenticationManagement.getUnregisteredRequiredActions())).toBe(
      true,
    );
  });

  it('a disabled action is not pending: the password grant lets the user in', async () => {
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'steps' });
    const action = await kc.authenticationManagement.getRequiredActionForAlias({
      alias: 'UPDATE_PASSWORD',
    });
    await kc.authenticationManagement.updateRequiredAction(
      { alias: 'UPDATE_PASSWORD' },
      { ...action, enabled: false },
    );
    expect(
      (await grant('steps', 'web', { username: 'temp', password: 'third-password' })).status,
    ).toBe(200);
    await kc.authenticationManagement.updateRequiredAction(
      { alias: 'UPDATE_PASSWORD' },
      { ...action, enabled: true },
    );
    expect(
      (await grant('steps', 'web', { username: 'temp', password: 'third-password' })).status,
    ).toBe(400);
  });
});
