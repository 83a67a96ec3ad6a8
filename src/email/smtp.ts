/**
 * Outgoing mail through the realm's `smtpServer` (RealmRepresentation.smtpServer, Keycloak's
 * DefaultEmailSenderProvider settings: host, port, from, fromDisplayName, replyTo,
 * replyToDisplayName, envelopeFrom, ssl, starttls, auth, user, password; booleans as the strings
 * "true"/"false"), sent with nodemailer.
 *
 * Trust: the host is realm-administrator data that makes this server open a connection, so it is
 * used only when the operator allowed it (SMTP_ALLOWED_HOSTS: `host` or `host:port`); another
 * host is refused before any connection with SmtpNotAllowedError. Every step is bounded by
 * SMTP_TIMEOUT_MS (connect, greeting, each reply) and the whole send by four times that, as
 * Keycloak bounds JavaMail with `mail.smtp.timeout` / `connectiontimeout`. Errors carry no
 * password and no server reply text, only nodemailer's code.
 */
import { QsignError, type ErrorCode } from '../errors.ts';
import nodemailer from 'nodemailer';
import { z } from 'zod';

/** The realm's SMTP settings, parsed (Keycloak's names). */
export interface SmtpSettings {
  host: string;
  port: number;
  from: string;
  fromDisplayName?: string;
  replyTo?: string;
  replyToDisplayName?: string;
  envelopeFrom?: string;
  ssl: boolean;
  starttls: boolean;
  auth?: { user: string; pass: string };
}

/** One message: a single recipient address, plain text and HTML bodies. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** The operator's limits (RealmContext.mail). */
export interface MailLimits {
  allowedHosts: string[];
  timeoutMs: number;
}

/** Mail could not be sent; `message` is safe to log and to show an administrator. */
export class EmailError extends QsignError {
  constructor(message: string, code: ErrorCode = 'ERR_EMAIL') {
    super(code, message);
    this.name = 'EmailError';
  }
}

/** The realm's SMTP host is not in SMTP_ALLOWED_HOSTS: nothing was connected to. */
export class SmtpNotAllowedError extends EmailError {
  constructor(host: string, port: number) {
    super(
      `SMTP host ${host}:${port} is not allowed by this server's operator (SMTP_ALLOWED_HOSTS)`,
      'ERR_SMTP_NOT_ALLOWED',
    );
    this.name = 'SmtpNotAllowedError';
  }
}

const flag = (v: unknown) => v === true || v === 'true';
const text = z.string().trim().max(512);
const address = z.email().max(254);

/**
 * The realm's `smtpServer`, or an EmailError naming what is missing (Keycloak:
 * "No sender address configured in the realm settings for emails", host required).
 */
export function smtpSettings(rep: object): SmtpSettings {
  const raw = ((rep as { smtpServer?: unknown }).smtpServer ?? {}) as Record<string, unknown>;
  const host = text.safeParse(raw.host);
  if (!host.success || !host.data) throw new EmailError('No SMTP host configured for the realm');
  const from = address.safeParse(raw.from);
  if (!from.success)
    throw new EmailError('No sender address configured in the realm settings for emails');
  const ssl = flag(raw.ssl);
  const port = raw.port === undefined || raw.port === '' ? (ssl ? 465 : 25) : Number(raw.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new EmailError('Invalid SMTP port configured for the realm');
  const optional = (v: unknown) => {
    const parsed = text.safeParse(v);
    return parsed.success && parsed.data ? parsed.data : undefined;
  };
  const user = optional(raw.user);
  return {
    host: host.data.toLowerCase(),
    port,
    from: from.data,
    fromDisplayName: optional(raw.fromDisplayName),
    replyTo: address.safeParse(raw.replyTo).data,
    replyToDisplayName: optional(raw.replyToDisplayName),
    envelopeFrom: address.safeParse(raw.envelopeFrom).data,
    ssl,
    starttls: flag(raw.starttls),
    auth:
      flag(raw.auth) && user
        ? { user, pass: typeof raw.password === 'string' ? raw.password : '' }
        : undefined,
  };
}

/**
 * Refuses a host the operator did not allow (SMTP_ALLOWED_HOSTS entries are `host` or
 * `host:port`, lower-case).
 * @throws SmtpNotAllowedError
 */
export function checkSmtpHost(settings: SmtpSettings, limits: MailLimits): void {
  const { host, port } = settings;
  if (!limits.allowedHosts.some((h) => h === host || h === `${host}:${port}`))
    throw new SmtpNotAllowedError(host, port);
}

function transportFor(settings: SmtpSettings, limits: MailLimits) {
  return nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.ssl,
    requireTLS: settings.starttls,
    // Without `starttls`, no upgrade is attempted (Keycloak's mail.smtp.starttls.enable=false).
    ignoreTLS: !settings.starttls && !settings.ssl,
    auth: settings.auth,
    connectionTimeout: limits.timeoutMs,
    greetingTimeout: limits.timeoutMs,
    socketTimeout: limits.timeoutMs,
    dnsTimeout: limits.timeoutMs,
  });
}

/** Runs `work` on a fresh transport, bounded as a whole by 4 x timeoutMs; always closes it. */
async function withTransport<T>(
  settings: SmtpSettings,
  limits: MailLimits,
  work: (t: ReturnType<typeof transportFor>) => Promise<T>,
): Promise<T> {
  checkSmtpHost(settings, limits);
  const transport = transportFor(settings, limits);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EmailError('SMTP server did not answer in time')),
      limits.timeoutMs * 4,
    );
  });
  try {
    return await Promise.race([work(transport), deadline]);
  } catch (err) {
    if (err instanceof EmailError) throw err;
    const code = (err as { code?: string }).code ?? 'ESEND';
    throw new EmailError(`Failed to send email (${code})`);
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}

/**
 * Sends one message through the realm's SMTP server.
 * @throws EmailError (SmtpNotAllowedError for a host the operator did not allow) when it was not
 *   accepted by the server; the recipient address is checked first (one address, no list).
 */
export async function sendMail(
  settings: SmtpSettings,
  limits: MailLimits,
  message: MailMessage,
): Promise<void> {
  const to = address.safeParse(message.to);
  if (!to.success) throw new EmailError('Invalid recipient email address');
  await withTransport(settings, limits, (transport) =>
    transport.sendMail({
      from: { name: settings.fromDisplayName ?? '', address: settings.from },
      replyTo: settings.replyTo
        ? { name: settings.replyToDisplayName ?? '', address: settings.replyTo }
        : undefined,
      to: { name: '', address: to.data },
      // The envelope names exactly one recipient: no header parsing can add another.
      envelope: { from: settings.envelopeFrom ?? settings.from, to: [to.data] },
      subject: message.subject,
      text: message.text,
      html: message.html,
    }),
  );
}

/**
 * Connects, greets and authenticates without sending (the admin console's "Test connection"
 * does send a test message; see admin/user-emails.ts).
 * @throws EmailError as sendMail
 */
export async function verifySmtp(settings: SmtpSettings, limits: MailLimits): Promise<void> {
  await withTransport(settings, limits, (transport) => transport.verify());
}
