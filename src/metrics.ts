/**
 * Prometheus metrics (prom-client), served at `/metrics`: requests by route and status, tokens
 * issued by realm, alg and type, signing latency by back end and alg (seconds), back-end signing
 * errors, login failures by realm and reason, lockouts, plus Node's default process metrics.
 * Labels never carry a user, a client secret or a token, and every label takes a bounded set of
 * values (the realm names aside, which admins create). With WORKERS > 1 every worker answers a
 * scrape with the sum over all workers (metrics-cluster.ts).
 */
import cluster from 'node:cluster';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SigningThreads } from './jose/ml-dsa-threads.ts';
import { shareWorkerRegistry } from './metrics-cluster.ts';
import { KEYCLOAK_ROUTES, PROTOCOL } from './routes.ts';

/**
 * One server's metrics: its own prom-client Registry and the counters on it, made by the
 * composition root (services.ts) and handed to what counts (the request log, the token issuer,
 * login failures, lockouts, the metered signers). Two instances share nothing.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter;
  /** `type`: `access`, `refresh` (HS512; offline tokens too) or `id`. */
  readonly tokensIssued: Counter;
  readonly signingSeconds: Histogram;
  readonly signingErrors: Counter;
  /** `reason`: the `error` of Keycloak's LOGIN_ERROR event (oidc/account.ts LOGIN_ERROR_EVENT), six values. */
  readonly loginFailures: Counter;
  readonly signingThreads: Gauge;
  readonly lockouts: Counter;
  #fromPrimary: (() => Promise<string>) | undefined;

  /**
   * @param options.threads the signing threads the `qsign_signing_threads` gauge reports (0 without).
   * @param options.defaultMetrics Node's process metrics (prom-client's, `qsign_` prefix); default true.
   */
  constructor(options: { threads?: SigningThreads; defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'qsign_' });
    this.httpRequests = new Counter({
      name: 'qsign_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers,
    });
    this.tokensIssued = new Counter({
      name: 'qsign_tokens_issued_total',
      help: 'Signed tokens issued, by realm, alg and token type (access, refresh, id)',
      labelNames: ['realm', 'alg', 'type'],
      registers,
    });
    this.signingSeconds = new Histogram({
      name: 'qsign_signing_seconds',
      help: 'Time to sign one token, by back end and alg (seconds)',
      labelNames: ['backend', 'alg'],
      registers,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    });
    this.signingErrors = new Counter({
      name: 'qsign_signing_errors_total',
      help: 'Failed signing operations, by back end and alg',
      labelNames: ['backend', 'alg'],
      registers,
    });
    this.loginFailures = new Counter({
      name: 'qsign_login_failures_total',
      help: "Failed user logins (login form and password grant), by realm and reason (Keycloak's LOGIN_ERROR error)",
      labelNames: ['realm', 'reason'],
      registers,
    });
    const threads = options.threads;
    this.signingThreads = new Gauge({
      name: 'qsign_signing_threads',
      help: 'ML-DSA signing threads running (summed over the worker processes; 0: they sign on their event loops)',
      registers,
      aggregator: 'sum',
      collect() {
        this.set(threads?.running ?? 0);
      },
    });
    this.lockouts = new Counter({
      name: 'qsign_lockouts_total',
      help: 'Brute-force lockouts started (committed), by realm',
      labelNames: ['realm'],
      registers,
    });
  }

  /**
   * In a node:cluster worker: hands this registry to the primary's aggregation
   * (metrics-cluster.ts), after which `response()` answers with the whole cluster's metrics.
   * Once per process, by the composition root; elsewhere nothing.
   */
  shareWithPrimary(): void {
    if (cluster.isWorker && !this.#fromPrimary)
      this.#fromPrimary = shareWorkerRegistry(this.registry);
  }

  /**
   * The `/metrics` answer: 200 with every worker's metrics summed (a cluster worker that shares
   * its registry asks the primary) or this server's own; 503 with a one-line text reason when a
   * worker or the primary did not answer within about 5 s.
   */
  async response(): Promise<{ status: 200 | 503; type: string; body: string }> {
    const type = this.registry.contentType;
    if (!this.#fromPrimary) return { status: 200, type, body: await this.registry.metrics() };
    try {
      return { status: 200, type, body: await this.#fromPrimary() };
    } catch (err) {
      return {
        status: 503,
        type: 'text/plain; charset=utf-8',
        body: `# metrics unavailable: ${(err as Error).message}\n`,
      };
    }
  }
}

/**
 * A counter's child for these label values (in `labelNames` order), resolved once: prom-client
 * otherwise hashes the label object on every increment, on the token endpoint's hot path.
 */
export function counterFor(counter: Counter, ...values: string[]): Counter.Internal {
  let children = counterChildren.get(counter);
  if (!children) {
    children = new Map();
    counterChildren.set(counter, children);
  }
  const key = values.join('\0');
  let child = children.get(key);
  if (!child) {
    child = counter.labels(...values);
    children.set(key, child);
  }
  return child;
}
/**
 * Not state of the process: a cache keyed by the Counter object (each Metrics has its own), whose
 * entries are what `counter.labels(...)` gives for the same values; it dies with its counter.
 */
const counterChildren = new WeakMap<Counter, Map<string, Counter.Internal>>();

/** Route names of exact paths outside the realms. */
const TOP_ROUTES = new Map([
  ['/metrics', 'metrics'],
  ['/health/live', 'health/live'],
  ['/health/ready', 'health/ready'],
  ['/resources/login.css', 'resources'],
  ['/resources/logout.js', 'resources'],
]);
const P = `${PROTOCOL}/`;
/**
 * Route names of exact paths under `/realms/{realm}`: each Keycloak endpoint (routes.ts) by
 * its path after the protocol prefix (`token/introspect`, `device`), and the pages around them.
 */
const REALM_ROUTES = new Map([
  ...Object.values(KEYCLOAK_ROUTES).map((path) => [
    path,
    path.startsWith(P) ? path.slice(P.length) : path.slice(1),
  ]),
  ['', 'realm'],
  ['/', 'realm'],
  ['/account', 'account'],
  ['/account/', 'account'],
  ['/.well-known/openid-configuration', 'discovery'],
  ['/.well-known/oauth-authorization-server', 'discovery'],
  ...['logout/confirm', 'logout/success'].map((r) => [`${P}${r}`, 'logout']),
  ...['', '/init', '/iframe.js', '/session'].map((r) => [
    `${P}login-status-iframe.html${r}`,
    'login-status-iframe.html',
  ]),
  ...['step1.html', 'step1.js', 'step2.html', 'step2.js'].map((r) => [
    `${P}3p-cookies/${r}`,
    '3p-cookies',
  ]),
] as [string, string][]);
/** Realm paths with one variable part: the login pages, and oidc-provider's resume of an authorization or a device login. */
const REALM_PATTERNS: [RegExp, string][] = [
  [/^\/login-actions\//, 'login'],
  [/^\/account\//, 'account'],
  [/^\/protocol\/openid-connect\/auth\/[^/]+$/, 'auth'],
  [/^\/device\/[^/]+$/, 'device'],
];

/**
 * The `route` label of a request path: one of a fixed set of names (the paths of TOP_ROUTES and
 * REALM_ROUTES, `admin` for `/admin/...`, `login` for the login pages), whatever the path;
 * anything else is `other`, so a client cannot make new label values.
 */
export function routeOf(path: string): string {
  const top = TOP_ROUTES.get(path);
  if (top) return top;
  if (path === '/admin' || path.startsWith('/admin/')) return 'admin';
  const m = /^\/realms\/[^/]+(\/.*)?$/.exec(path);
  if (!m) return 'other';
  const rest = m[1] ?? '';
  return REALM_ROUTES.get(rest) ?? REALM_PATTERNS.find(([re]) => re.test(rest))?.[1] ?? 'other';
}
