/**
 * A real SMTP server for tests (nodemailer's smtp-server on 127.0.0.1, a free port), whose received
 * messages are parsed with mailparser. `mode` makes it misbehave: `refuse` answers every RCPT TO
 * with 550, `hang` accepts the connection and never greets (the client must time out).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface TestSmtp {
  port: number;
  /** `127.0.0.1:{port}`, for SMTP_ALLOWED_HOSTS. */
  hostPort: string;
  /** Messages received so far, parsed. */
  messages: ParsedMail[];
  /** Recipients of the SMTP envelopes, in order. */
  envelopes: string[][];
  /** Connections opened (including ones refused or left hanging). */
  connections: number;
  mode: 'accept' | 'refuse' | 'hang';
  /** The next message sent to `to` (waits up to `ms`). */
  next(to: string, ms?: number): Promise<ParsedMail>;
  close(): Promise<void>;
}

export async function startSmtp(auth?: { user: string; pass: string }): Promise<TestSmtp> {
  const state: TestSmtp = {
    port: 0,
    hostPort: '',
    messages: [],
    envelopes: [],
    connections: 0,
    mode: 'accept',
    next: async () => {
      throw new Error('not started');
    },
    close: async () => undefined,
  };
  const hanging = new Set<() => void>();
  const server = new SMTPServer({
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    logger: false,
    onConnect(_session, callback) {
      state.connections += 1;
      if (state.mode === 'hang') {
        hanging.add(() => callback(new Error('closing')));
        return;
      }
      callback();
    },
    onAuth(a, _session, callback) {
      if (auth && a.username === auth.user && a.password === auth.pass)
        return callback(null, { user: a.username });
      const err = new Error('Invalid username or password') as Error & { responseCode: number };
      err.responseCode = 535;
      callback(err);
    },
    onRcptTo(_address, _session, callback) {
      if (state.mode === 'refuse') {
        const err = new Error('Mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          state.envelopes.push(session.envelope.rcptTo.map((r) => r.address));
          state.messages.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.server.address() as AddressInfo).port;
  state.hostPort = `127.0.0.1:${state.port}`;
  state.next = async (to, ms = 10_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = state.messages.findIndex((m) =>
        (m.to && !Array.isArray(m.to) ? m.to.text : '').includes(to),
      );
      if (i !== -1) return state.messages.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  state.close = async () => {
    for (const release of hanging) release();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

/** The action-token link of a received message (its text body). */
export function mailLink(mail: ParsedMail): string {
  const match = /(https?:\/\/\S+\/login-actions\/action-token\?key=\S+)/.exec(mail.text ?? '');
  if (!match) throw new Error(`no action-token link in mail: ${mail.text}`);
  return match[1];
}
