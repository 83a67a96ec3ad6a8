/**
 * Email, action tokens and registration end to end against a real SMTP server (smtp-server, with
 * SMTP AUTH: the realm's sealed `smtpServer.password` must reach it), the received messages
 * parsed with mailparser and their links followed by a cookie-jar browser:
 * - "Forgot Password?" (Keycloak's reset-credentials flow, login-reset-password.ftl): the same
 *   answer for a known and an unknown user, the link's new-password form under the policy, sign-in
 *   with the new password, the link refused when replayed;
 * - verify email (admin `send-verify-email`) and `execute-actions-email`, with Keycloak's admin
 *   errors; an expired link refused;
 * - registration (register.ftl): each policy rule's message, duplicate username and email, nothing
 *   stored on failure, success logs the new user in; the registrations endpoint (keycloak-js
 *   `register()`);
 * - an SMTP server that refuses or hangs: bounded (SMTP_TIMEOUT_MS), Keycloak's "Failed to send
 *   email, please try again later."; a host outside SMTP_ALLOWED_HOSTS: no connection, a clear
 *   admin error; testSMTPConnection; the SMTP password masked in the admin GET.
 * Expected texts are Keycloak's messages_en.properties (login and email themes). PGlite and
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { adminCall, masterAdmin } from '../helpers/admin.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { PKCE_CHALLENGE } from '../helpers/authorization.ts';
import { mailLink, startSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { testStores } from '../helpers/components.ts';

const REDIRECT = 'http://localhost:3000/callback';
// notUsername first: usernames are lower-case, so after upperCase(1) it could never be the first
// failure (Keycloak reports one, the first of its policy map).
const POLICY =
  'notUsername(undefined) and length(8) and digits(1) and upperCase(1) and specialChars(1)';

function realm(smtp: TestSmtp) {
  return {
    realm: 'mail',
    displayName: 'Mail Realm',
    registrationAllowed: true,
    resetPasswordAllowed: true,
    loginWithEmailAllowed: true,
    passwordPolicy: POLICY,
    smtpServer: {
      host: '127.0.0.1',
      port: String(smtp.port),
      from: 'sso@example.org',
      fromDisplayName: 'SSO',
      auth: 'true',
      user: 'mailer',
      password: 'smtp-secret',
    },
    clients: [
      {
        clientId: 'app',
        publicClient: true,
        standardFlowEnabled: true,
        redirectUris: ['http://localhost:3000/*'],
      },
    ],
    users: [
      {
        username: 'alice',
        email: 'alice@example.org',
        firstName: 'Alice',
        lastName: 'A',
        credentials: [{ type: 'password', value: 'Old-pass1!' }],
      },
      {
        username: 'bob',
        email: 'bob@example.org',
        firstName: 'Bob',
        lastName: 'B',
        credentials: [{ type: 'password', value: 'Bob-pass1!' }],
      },
      { username: 'carol', email: 'carol@example.org', firstName: 'Carol', lastName: 'C' },
    ],
  };
}

const authUrl = (base: string, r = 'mail') =>
  `${base}/realms/${r}/protocol/openid-connect/auth?${new URLSearchParams({
    client_id: 'app',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT,
    code_challenge: PKCE_CHALLENGE,
    code_challenge_method: 'S256',
  })}`;

const unescape = (s: string) => s.replace(/&amp;/g, '&');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The login page of a fresh authorization request and the browser holding its cookies. */
async function loginPage(server: TestServer) {
  const browser = new TestBrowser();
  const start = await browser.follow(authUrl(server.baseUrl), server.baseUrl);
  return { browser, url: start.url, html: await start.response!.text() };
}

function link(html: string, id: string, base: string): string {
  const match = new RegExp(`id="${id}" href="([^"]+)"`).exec(html);
  if (!match) throw new Error(`no #${id} in ${html.slice(0, 400)}`);
  return new URL(unescape(match[1]), base).toString();
}

function formAction(html: string, id: string, base: string): string {
  const match = new RegExp(`<form id="${id}" action="([^"]+)"`).exec(html);
  if (!match) throw new Error(`no form #${id} in ${html.slice(0, 400)}`);
  return new URL(unescape(match[1]), base).toString();
}

const stores = await testStores();

describe.each(stores)('email, action tokens and registration on $name', (store) => {
  let server: TestServer;
  let dropDb: (() => Promise<void>) | undefined;
  let smtp: TestSmtp;
  let kc: KcAdminClient;
  const admin = async (method: string, p: string, body?: unknown) =>
    adminCall(server.baseUrl, (await kc.getAccessToken())!, method, p, body);
  const userId = async (username: string) =>
    ((await kc.users.find({ realm: 'mail', username, exact: true })) as { id: string }[])[0]?.id;

  beforeAll(async () => {
    smtp = await startSmtp({ user: 'mailer', pass: 'smtp-secret' });
    const db = await store.databaseUrl?.();
    dropDb = db?.drop;
    server = await startServer({
      databaseUrl: db?.url,
      realmFiles: [path.join(REPO, 'realms', 'master.json')],
      realms: [
        realm(smtp),
        {
          realm: 'byemail',
          registrationAllowed: true,
          registrationEmailAsUsername: true,
          clients: realm(smtp).clients,
        },
        {
          realm: 'elsewhere',
          smtpServer: { host: 'mail.attacker.example', port: '25', from: 'x@example.org' },
          users: [{ username: 'dan', email: 'dan@example.org' }],
        },
      ],
      env: { SMTP_ALLOWED_HOSTS: smtp.hostPort, SMTP_TIMEOUT_MS: '3000' },
    });
    kc = await masterAdmin(server.baseUrl);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await dropDb?.();
    await smtp?.close();
  });

  it('the login page links "Forgot Password?" and "Register"', async () => {
    const { html } = await loginPage(server);
    expect(html).toContain('>Forgot Password?</a>');
    expect(html).toMatch(
      /New user\? <a id="kc-registration-link" href="[^"]+\/registration">Register<\/a>/,
    );
  });

  it('forgot password: email, new password under the policy, sign in, replay refused', async () => {
    const { browser, html } = await loginPage(server);
    const resetPage = await browser.fetch(link(html, 'kc-forgot-password', server.baseUrl));
    const resetHtml = await resetPage.text();
    expect(resetHtml).toContain('Forgot Your Password?');
    const action = formAction(resetHtml, 'kc-reset-password-form', server.baseUrl);
    const post = (username: string) =>
      browser.fetch(action, {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({ username }),
      });

    // An unknown user gets the same answer, and no mail.
    const unknown = await (await post('nobody')).text();
    expect(unknown).toContain('You should receive an email shortly with further instructions.');
    const sent = await (await post('alice@example.org')).text();
    expect(sent).toContain('You should receive an email shortly with further instructions.');
    const mail = await smtp.next('alice@example.org');
    expect(mail.subject).toBe('Reset password');
    expect(mail.from?.text).toBe('"SSO" <sso@example.org>');
    expect(mail.text).toContain(
      "Someone just requested to change your Mail Realm account's credentials.",
    );
    expect(mail.text).toContain('This link and code will expire within 5 minutes.');
    expect(smtp.envelopes.at(-1)).toEqual(['alice@example.org']);
    expect(smtp.messages.some((m) => (m.to as { text: string }).text.includes('nobody'))).toBe(
      false,
    );

    const key = mailLink(mail);
    const form = await browser.fetch(key);
    const formHtml = await form.text();
    expect(formHtml).toContain('Update password');
    const submit = formAction(formHtml, 'kc-passwd-update-form', server.baseUrl);
    const send = async (p: string, c = p) =>
      (
        await browser.fetch(submit, {
          method: 'POST',
          headers: FORM,
          body: new URLSearchParams({ 'password-new': p, 'password-confirm': c }),
        })
      ).text();
    expect(await send('Short1!')).toContain('Invalid password: minimum length 8.');
    expect(await send('Newpass1!', 'Newpass2!')).toContain('Passwords don&#39;t match.');
    expect(await send('')).toContain('Please specify password.');
    // Keycloak's reset-credentials flow then logs the user in to the client the reset started
    // from (ResetCredentialsActionTokenHandler continues the authentication session), in the
    // browser holding that login; the link opened elsewhere only says the password was updated.
    const done = await browser.follow(submit, server.baseUrl, {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({ 'password-new': 'Newpass1!', 'password-confirm': 'Newpass1!' }),
    });
    expect(done.url).toMatch(/^http:\/\/localhost:3000\/callback\?code=/);
    // Another browser at the continuation, with the emailed key as its proof: only the message.
    const uid = new URL(action).pathname.split('/').at(-2);
    const elsewhere = await new TestBrowser().fetch(
      `${server.baseUrl}/realms/mail/login-actions/${uid}/reset-credentials?proof=${encodeURIComponent(new URL(key).searchParams.get('key')!)}`,
    );
    expect(elsewhere.status).toBe(200);
    expect(await elsewhere.text()).toContain('Your password has been updated.');

    // The link is single use: neither its page nor its form works again.
    expect(await (await browser.fetch(key)).text()).toContain('Action expired.');
    expect(await send('Another1!')).toContain('Action expired.');

    const old = await signIn(
      new TestBrowser(),
      authUrl(server.baseUrl),
      server.baseUrl,
      'alice',
      'Old-pass1!',
    );
    expect(old.page).toContain('Invalid username or password.');
    const signedIn = await signIn(
      new TestBrowser(),
      authUrl(server.baseUrl),
      server.baseUrl,
      'alice',
      'Newpass1!',
    );
    expect(signedIn.url).toMatch(/^http:\/\/localhost:3000\/callback\?code=/);
  });

  it("a reset asked from another browser's login page never logs that browser in", async () => {
    // The attacker starts a login and asks for bob's reset; bob completes it from the mail.
    const attacker = await loginPage(server);
    const resetHtml = await (
      await attacker.browser.fetch(link(attacker.html, 'kc-forgot-password', server.baseUrl))
    ).text();
    await attacker.browser.fetch(formAction(resetHtml, 'kc-reset-password-form', server.baseUrl), {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({ username: 'bob' }),
    });
    const key = mailLink(await smtp.next('bob@example.org'));
    const bob = new TestBrowser();
    const formHtml = await (await bob.fetch(key)).text();
    const submit = formAction(formHtml, 'kc-passwd-update-form', server.baseUrl);
    const done = await bob.follow(submit, server.baseUrl, {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({ 'password-new': 'Bobnew-1!', 'password-confirm': 'Bobnew-1!' }),
    });
    // Bob's browser has no part in the attacker's login: it is told the password changed.
    expect(await done.response!.text()).toContain('Your password has been updated.');
    // The attacker's login is still at the login form (no code, no session for bob).
    const again = await attacker.browser.follow(attacker.url, server.baseUrl);
    expect(await again.response!.text()).toContain('id="kc-form-login"');
    // Even with the link's key as the proof, the attacker's browser only gets the message.
    const uid = new URL(attacker.url).pathname.split('/').at(-1)!;
    const forged = await attacker.browser.follow(
      `${server.baseUrl}/realms/mail/login-actions/${uid}/reset-credentials?proof=${encodeURIComponent(new URL(key).searchParams.get('key')!)}`,
      server.baseUrl,
    );
    expect(await forged.response!.text()).toContain('Your password has been updated.');
    expect(
      await (await attacker.browser.follow(attacker.url, server.baseUrl)).response!.text(),
    ).toContain('id="kc-form-login"');
  });

  it('a tampered or foreign token is refused with a clear page', async () => {
    const browser = new TestBrowser();
    const bad = await browser.fetch(
      `${server.baseUrl}/realms/mail/login-actions/action-token?key=eyJhbGciOiJIUzI1NiJ9.e30.x`,
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain(
      'An error occurred, please login again through your application.',
    );
  });

  it('send-verify-email: the link verifies the address once; an expired link is refused', async () => {
    const id = await userId('bob');
    expect(
      (
        await admin(
          'PUT',
          `/mail/users/${id}/send-verify-email?client_id=app&redirect_uri=${encodeURIComponent(REDIRECT)}`,
        )
      ).status,
    ).toBe(204);
    const mail = await smtp.next('bob@example.org');
    expect(mail.subject).toBe('Verify email');
    expect(mail.text).toContain(
      'Someone has created a Mail Realm account with this email address. If this was you, click the link below to verify your email address',
    );
    expect(mail.text).toContain('This link will expire within 12 hours.');
    const browser = new TestBrowser();
    const key = mailLink(mail);
    const confirm = await (await browser.fetch(key)).text();
    expect(confirm).toContain('Confirm validity of e-mail address bob@example.org.');
    expect((await kc.users.findOne({ realm: 'mail', id }))!.emailVerified).toBe(false);
    const done = await (
      await browser.fetch(formAction(confirm, 'kc-info-form', server.baseUrl), { method: 'POST' })
    ).text();
    expect(done).toContain('Your email address has been verified.');
    expect(done).toContain(`href="${REDIRECT}"`);
    expect((await kc.users.findOne({ realm: 'mail', id }))!.emailVerified).toBe(true);
    expect(await (await browser.fetch(key)).text()).toContain('Action expired.');

    // lifespan=1: the link is dead a second later.
    await admin('PUT', `/mail/users/${id}/send-verify-email?lifespan=1`);
    const short = mailLink(await smtp.next('bob@example.org'));
    await new Promise((r) => setTimeout(r, 2_100));
    const expired = await new TestBrowser().fetch(short);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('Action expired.');
  });

  it('execute-actions-email: the listed actions, password under the policy, the rest for the next login', async () => {
    const id = await userId('carol');
    const q = `client_id=app&redirect_uri=${encodeURIComponent(REDIRECT)}`;
    expect(
      (await admin('PUT', `/mail/users/${id}/execute-actions-email?${q}`, ['NOT_AN_ACTION'])).body,
    ).toEqual({ errorMessage: 'Provided invalid required actions' });
    expect(
      (
        await admin(
          'PUT',
          `/mail/users/${id}/execute-actions-email?redirect_uri=${encodeURIComponent(REDIRECT)}`,
          ['UPDATE_PASSWORD'],
        )
      ).body,
    ).toEqual({ errorMessage: 'Client id missing' });
    expect(
      (
        await admin(
          'PUT',
          `/mail/users/${id}/execute-actions-email?client_id=app&redirect_uri=${encodeURIComponent('https://evil.example/')}`,
          ['UPDATE_PASSWORD'],
        )
      ).body,
    ).toEqual({ errorMessage: 'Invalid redirect uri.' });
    expect(
      (
        await admin('PUT', `/mail/users/${id}/execute-actions-email?client_id=nope`, [
          'UPDATE_PASSWORD',
        ])
      ).body,
    ).toEqual({ errorMessage: "Client doesn't exist" });

    const actions = ['UPDATE_PASSWORD', 'VERIFY_EMAIL', 'CONFIGURE_TOTP'];
    expect(
      (await admin('PUT', `/mail/users/${id}/execute-actions-email?${q}`, actions)).status,
    ).toBe(204);
    const mail = await smtp.next('carol@example.org');
    expect(mail.subject).toBe('Update Your Account');
    expect(mail.text).toContain(
      'Your administrator has just requested that you update your Mail Realm account by performing the following action(s): Update Password, Verify Email, Configure OTP.',
    );
    expect(mail.text).toContain('This link will expire within 12 hours.');
    const browser = new TestBrowser();
    const formHtml = await (await browser.fetch(mailLink(mail))).text();
    expect(formHtml).toContain(
      'Perform the following action(s): Update Password, Verify Email, Configure OTP',
    );
    const submit = formAction(formHtml, 'kc-passwd-update-form', server.baseUrl);
    const send = async (p: string) =>
      (
        await browser.fetch(submit, {
          method: 'POST',
          headers: FORM,
          body: new URLSearchParams({ 'password-new': p, 'password-confirm': p }),
        })
      ).text();
    expect(await send('carol')).toContain('Invalid password: must not be equal to the username.');
    expect(await send('Ca-1')).toContain('Invalid password: minimum length 8.');
    const done = await send('Carol-pass1!');
    expect(done).toContain('Your account has been updated.');
    expect(done).toContain('« Back to Application');
    const user = (await kc.users.findOne({ realm: 'mail', id }))!;
    expect(user.emailVerified).toBe(true);
    expect(user.requiredActions).toEqual(['CONFIGURE_TOTP']);
  });

  describe('registration', () => {
    const fields = {
      firstName: 'Dora',
      lastName: 'D',
      email: 'dora@example.org',
      username: 'dora',
      password: 'Dora-pass1!',
      'password-confirm': 'Dora-pass1!',
    };
    async function registrationPage() {
      const { browser, html } = await loginPage(server);
      const page = await (
        await browser.fetch(link(html, 'kc-registration-link', server.baseUrl))
      ).text();
      return { browser, page };
    }
    const post = async (browser: TestBrowser, page: string, form: Record<string, string>) =>
      browser.fetch(formAction(page, 'kc-register-form', server.baseUrl), {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams(form),
      });
    const count = async () => (await admin('GET', '/mail/users/count')).body as number;

    it('each policy rule, a mismatch, missing fields and duplicates: a message, nothing stored', async () => {
      const { browser, page } = await registrationPage();
      expect(page).toContain('<h1 id="page-title">Register</h1>');
      for (const name of [
        'firstName',
        'lastName',
        'email',
        'username',
        'password',
        'password-confirm',
      ])
        expect(page).toContain(`name="${name}"`);
      const before = await count();
      const cases: [Record<string, string>, string][] = [
        [
          { password: 'Do-p1!', 'password-confirm': 'Do-p1!' },
          'Invalid password: minimum length 8.',
        ],
        [
          { password: 'Dora-pass!', 'password-confirm': 'Dora-pass!' },
          'Invalid password: must contain at least 1 numerical digits.',
        ],
        [
          { password: 'dora-pass1!', 'password-confirm': 'dora-pass1!' },
          'Invalid password: must contain at least 1 upper case characters.',
        ],
        [
          { password: 'Dorapass12', 'password-confirm': 'Dorapass12' },
          'Invalid password: must contain at least 1 special characters.',
        ],
        [
          { username: 'dora.pass1', password: 'dora.pass1', 'password-confirm': 'dora.pass1' },
          'Invalid password: must not be equal to the username.',
        ],
        [{ 'password-confirm': 'Other-pass1!' }, 'Password confirmation doesn&#39;t match.'],
        [{ firstName: '' }, 'Please specify first name.'],
        [{ lastName: '' }, 'Please specify last name.'],
        [{ email: '' }, 'Please specify email.'],
        [{ email: 'not-an-email' }, 'Invalid email address.'],
        [{ username: '' }, 'Please specify username.'],
        [{ username: 'alice' }, 'Username already exists.'],
        [{ email: 'ALICE@example.org' }, 'Email already exists.'],
        [{ firstName: 'x'.repeat(300) }, 'Length must be between 3 and 255.'],
      ];
      for (const [change, message] of cases) {
        const answer = await post(browser, page, { ...fields, ...change });
        expect(answer.status, message).toBe(400);
        expect(await answer.text(), message).toContain(message);
      }
      expect(await count()).toBe(before);
    });

    it('an oversized form is refused without a stored user or a server error', async () => {
      const { browser, page } = await registrationPage();
      const before = await count();
      const big = await post(browser, page, {
        ...fields,
        username: 'big',
        lastName: 'x'.repeat(20_000),
      });
      expect(big.status).toBe(413);
      expect(await count()).toBe(before);
    });

    it('success: the user exists with the default role and is signed in to the client', async () => {
      const { browser, page } = await registrationPage();
      const answer = await post(browser, page, fields);
      expect(answer.status).toBe(303);
      const done = await browser.follow(
        new URL(answer.headers.get('location')!, server.baseUrl).toString(),
        server.baseUrl,
      );
      expect(done.url).toMatch(/^http:\/\/localhost:3000\/callback\?code=/);
      const [user] = await kc.users.find({ realm: 'mail', username: 'dora', exact: true });
      expect(user).toMatchObject({
        email: 'dora@example.org',
        firstName: 'Dora',
        emailVerified: false,
      });
      const roles = await kc.users.listRealmRoleMappings({ realm: 'mail', id: user.id! });
      expect(roles.map((r) => r.name)).toContain('default-roles-mail');
      const again = await signIn(
        new TestBrowser(),
        authUrl(server.baseUrl),
        server.baseUrl,
        'dora',
        'Dora-pass1!',
      );
      expect(again.url).toMatch(/code=/);
    });

    it("the realm's verifyEmail: after registering, the VERIFY_EMAIL page and its mail, before the login ends", async () => {
      // Keycloak's registration flow ends in the required actions; VerifyEmail.evaluateTriggers
      // adds VERIFY_EMAIL for an unverified user when the realm sets verifyEmail.
      expect((await admin('PUT', '/mail', { verifyEmail: true })).status).toBe(204);
      try {
        const { browser, page } = await registrationPage();
        const form = { ...fields, email: 'fay@example.org', username: 'fay' };
        const answer = await post(browser, page, form);
        const shown =
          answer.status === 200
            ? await answer.text()
            : await (
                await browser.follow(
                  new URL(answer.headers.get('location')!, server.baseUrl).toString(),
                  server.baseUrl,
                )
              ).response!.text();
        expect(shown).toContain('required-action/VERIFY_EMAIL');
        expect((await smtp.next('fay@example.org')).subject).toContain('Verify email');
      } finally {
        await admin('PUT', '/mail', { verifyEmail: false });
      }
    });

    it('registrationEmailAsUsername: no username field, the email is the username, once', async () => {
      const register = async () => {
        const browser = new TestBrowser();
        const url = authUrl(server.baseUrl, 'byemail').replace('/auth?', '/registrations?');
        const page = await (await browser.follow(url, server.baseUrl)).response!.text();
        return { browser, page };
      };
      const form = { ...fields, username: 'ignored', email: 'Eve@Example.org' };
      const first = await register();
      expect(first.page).not.toContain('name="username"');
      expect((await post(first.browser, first.page, form)).status).toBe(303);
      const [eve] = await kc.users.find({ realm: 'byemail', email: 'eve@example.org' });
      expect(eve.username).toBe('eve@example.org');
      const second = await register();
      const again = await post(second.browser, second.page, form);
      expect(await again.text()).toContain('Email already exists.');
    });

    it('the registrations endpoint opens the registration page; refused where registration is off', async () => {
      const browser = new TestBrowser();
      const url = authUrl(server.baseUrl).replace('/auth?', '/registrations?');
      const first = await browser.fetch(url);
      expect(first.status).toBeGreaterThanOrEqual(300);
      expect(first.headers.get('location')).toMatch(/\/login-actions\/[^/]+\/registration$/);
      const page = await browser.follow(url, server.baseUrl);
      expect(await page.response!.text()).toContain('id="kc-register-form"');
      const off = await new TestBrowser().fetch(
        authUrl(server.baseUrl, 'elsewhere').replace('/auth?', '/registrations?'),
      );
      expect(off.status).toBe(400);
      expect(await off.text()).toContain('Registration not allowed');
    });
  });

  describe('SMTP trust and failures', () => {
    it('an SMTP server that refuses, or hangs: a bounded, clear failure', async () => {
      const { browser, html } = await loginPage(server);
      const resetHtml = await (
        await browser.fetch(link(html, 'kc-forgot-password', server.baseUrl))
      ).text();
      const action = formAction(resetHtml, 'kc-reset-password-form', server.baseUrl);
      const post = () =>
        browser.fetch(action, {
          method: 'POST',
          headers: FORM,
          body: new URLSearchParams({ username: 'bob' }),
        });
      try {
        smtp.mode = 'refuse';
        expect(await (await post()).text()).toContain(
          'Failed to send email, please try again later.',
        );
        const refused = await admin(
          'PUT',
          `/mail/users/${await userId('bob')}/execute-actions-email`,
          ['UPDATE_PASSWORD'],
        );
        expect(refused.status).toBe(500);
        expect((refused.body as { errorMessage: string }).errorMessage).toMatch(
          /^Failed to send execute actions email: /,
        );
        expect((refused.body as { errorMessage: string }).errorMessage).not.toContain(
          'smtp-secret',
        );
        smtp.mode = 'hang';
        const connections = smtp.connections;
        expect(await (await post()).text()).toContain(
          'Failed to send email, please try again later.',
        );
        expect(smtp.connections).toBe(connections + 1);
      } finally {
        smtp.mode = 'accept';
      }
    });

    it('an SMTP host outside SMTP_ALLOWED_HOSTS is never connected to: a clear admin error', async () => {
      const [dan] = await kc.users.find({ realm: 'elsewhere', username: 'dan' });
      const answer = await admin('PUT', `/elsewhere/users/${dan.id}/send-verify-email`);
      expect(answer).toMatchObject({
        status: 400,
        body: {
          errorMessage:
            "SMTP host mail.attacker.example:25 is not allowed by this server's operator (SMTP_ALLOWED_HOSTS)",
        },
      });
    });

    it('the SMTP password is masked in the admin GET; testSMTPConnection uses the stored one', async () => {
      const rep = await kc.realms.findOne({ realm: 'mail' });
      expect(rep!.smtpServer).toMatchObject({ password: '**********', user: 'mailer' });
      const body = { ...rep!.smtpServer };
      const noEmail = await admin('POST', '/mail/testSMTPConnection', body);
      expect(noEmail.body).toEqual({ errorMessage: 'Logged in user does not have an e-mail.' });
      const [me] = await kc.users.find({ realm: 'master', username: 'admin', exact: true });
      await kc.users.update({ realm: 'master', id: me.id! }, { email: 'admin@example.org' });
      expect((await admin('POST', '/mail/testSMTPConnection', body)).status).toBe(204);
      expect((await smtp.next('admin@example.org')).subject).toBe('[KEYCLOAK] - SMTP test message');
      const wrong = await admin('POST', '/mail/testSMTPConnection', { ...body, password: 'guess' });
      expect(wrong.status).toBe(500);
      expect((wrong.body as { errorMessage: string }).errorMessage).toMatch(
        /^Failed to send email: /,
      );
    });
  });
});
