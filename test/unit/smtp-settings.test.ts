/**
 * The realm's smtpServer as Keycloak's DefaultEmailSenderProvider reads it (string booleans, port
 * 25, or 465 with ssl), the operator's SMTP_ALLOWED_HOSTS check made before any connection, and
 * LinkExpirationFormatterMethod's expiry texts.
 */
import { describe, expect, it } from 'vitest';
import {
  checkSmtpHost,
  EmailError,
  sendMail,
  smtpSettings,
  SmtpNotAllowedError,
} from '../../src/email/smtp.ts';
import { formatExpiry } from '../../src/email/templates.ts';

describe('smtpServer settings', () => {
  it('reads Keycloak string settings with its defaults', () => {
    expect(
      smtpSettings({ smtpServer: { host: 'Mail.Example.org', from: 'a@example.org' } }),
    ).toMatchObject({
      host: 'mail.example.org',
      port: 25,
      ssl: false,
      starttls: false,
      auth: undefined,
    });
    expect(
      smtpSettings({
        smtpServer: {
          host: 'mail.example.org',
          from: 'a@example.org',
          ssl: 'true',
          auth: 'true',
          user: 'u',
          password: 'p',
        },
      }),
    ).toMatchObject({ port: 465, ssl: true, auth: { user: 'u', pass: 'p' } });
    expect(() => smtpSettings({ smtpServer: { host: 'h' } })).toThrow(
      'No sender address configured in the realm settings for emails',
    );
    expect(() => smtpSettings({})).toThrow(EmailError);
    expect(() =>
      smtpSettings({ smtpServer: { host: 'h', from: 'a@example.org', port: '99999' } }),
    ).toThrow('Invalid SMTP port');
  });

  it('only hosts the operator allowed, by host or host:port', async () => {
    const s = smtpSettings({
      smtpServer: { host: 'mail.example.org', port: '587', from: 'a@b.org' },
    });
    const limits = (allowedHosts: string[]) => ({ allowedHosts, timeoutMs: 1000 });
    expect(() => checkSmtpHost(s, limits(['mail.example.org']))).not.toThrow();
    expect(() => checkSmtpHost(s, limits(['mail.example.org:587']))).not.toThrow();
    expect(() => checkSmtpHost(s, limits(['mail.example.org:25']))).toThrow(SmtpNotAllowedError);
    expect(() => checkSmtpHost(s, limits([]))).toThrow(
      "SMTP host mail.example.org:587 is not allowed by this server's operator (SMTP_ALLOWED_HOSTS)",
    );
    // Refused before any connection (nothing listens on that name).
    await expect(
      sendMail(s, limits([]), { to: 'x@example.org', subject: 's', text: 't', html: 'h' }),
    ).rejects.toThrow(SmtpNotAllowedError);
    // One recipient address, never a list.
    await expect(
      sendMail(s, limits(['mail.example.org']), {
        to: 'x@example.org, y@example.org',
        subject: 's',
        text: 't',
        html: 'h',
      }),
    ).rejects.toThrow('Invalid recipient email address');
  });

  it('link expiry as LinkExpirationFormatterMethod words it', () => {
    expect(formatExpiry(300)).toBe('5 minutes');
    expect(formatExpiry(43_200)).toBe('12 hours');
    expect(formatExpiry(86_400)).toBe('1 day');
    expect(formatExpiry(60)).toBe('1 minute');
    expect(formatExpiry(90)).toBe('90 seconds');
  });
});
