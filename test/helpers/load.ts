/**
 * A steady load of token requests for fault tests: loops that each send one request after another
 * until stopped, every answer recorded with its status, Retry-After, body and duration. A request
 * without an answer within `NO_ANSWER_MS` is recorded with status 0.
 */
import { asJson } from './json.ts';

export const NO_ANSWER_MS = 15_000;

export interface Sample {
  kind: string;
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
  ms: number;
  at: number;
}

export async function tokenRequest(
  baseUrl: string,
  realm: string,
  kind: string,
  form: Record<string, string>,
  basic?: string,
): Promise<Sample> {
  const at = Date.now();
  try {
    const res = await fetch(`${baseUrl}/realms/${realm}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(basic ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {}),
      },
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(NO_ANSWER_MS),
    });
    const text = await res.text();
    let body: Record<string, unknown> = { text };
    try {
      body = asJson(JSON.parse(text));
    } catch {
      /* kept as text */
    }
    return {
      kind,
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body,
      ms: Date.now() - at,
      at,
    };
  } catch {
    return { kind, status: 0, retryAfter: null, body: {}, ms: Date.now() - at, at };
  }
}

/**
 * A client that logs in with the password grant, then refreshes over and over with the newest
 * refresh token; after a 503 it retries with the same token, as a client should (kind
 * `refresh-retry`). A refusal of the token (invalid_grant) makes it log in again.
 */
export function refreshingClient(
  baseUrl: string,
  realm: string,
  clientId: string,
  username: string,
  password: string,
): () => Promise<Sample> {
  let refreshToken: string | undefined;
  let retry = false;
  return async () => {
    const sample = refreshToken
      ? await tokenRequest(baseUrl, realm, retry ? 'refresh-retry' : 'refresh', {
          grant_type: 'refresh_token',
          client_id: clientId,
          refresh_token: refreshToken,
        })
      : await tokenRequest(baseUrl, realm, 'password', {
          grant_type: 'password',
          client_id: clientId,
          username,
          password,
        });
    if (sample.status === 200) refreshToken = String(sample.body.refresh_token);
    else if (sample.status === 400) refreshToken = undefined;
    retry = refreshToken !== undefined && sample.status !== 200;
    return sample;
  };
}

export interface Load {
  samples: Sample[];
  stop(): Promise<void>;
}

/** Runs each request function in its own loop, `pauseMs` apart, until `stop()`. */
export function startLoad(requests: Array<() => Promise<Sample>>, pauseMs = 20): Load {
  const samples: Sample[] = [];
  let running = true;
  const loops = requests.map(async (request) => {
    while (running) {
      samples.push(await request());
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Waits until `check` holds, polling every 50 ms; false after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
