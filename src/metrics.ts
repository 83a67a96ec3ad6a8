/**
 * Prometheus metrics (prom-client), served at `/metrics`: requests by route and status, tokens
 * issued by realm and alg, signing latency by back end and alg (seconds), back-end signing errors,
 * login failures and lockouts, plus Node's default process metrics. Labels never carry a user,
 * a client secret or a token.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { runningSigningThreads } from './jose/ml-dsa-threads.ts';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'qsign_' });

export const httpRequests = new Counter({ name: 'qsign_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] });
export const tokensIssued = new Counter({ name: 'qsign_tokens_issued_total', help: 'Signed tokens issued, by realm, alg and token type', labelNames: ['realm', 'alg', 'type'], registers: [registry] });
export const signingSeconds = new Histogram({
  name: 'qsign_signing_seconds', help: 'Time to sign one token, by back end and alg (seconds)', labelNames: ['backend', 'alg'], registers: [registry],
  buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
});
export const signingErrors = new Counter({ name: 'qsign_signing_errors_total', help: 'Failed signing operations, by back end and alg', labelNames: ['backend', 'alg'], registers: [registry] });
export const loginFailures = new Counter({ name: 'qsign_login_failures_total', help: 'Failed logins (login form and password grant), by realm', labelNames: ['realm'], registers: [registry] });
export const signingThreads = new Gauge({
  name: 'qsign_signing_threads', help: 'ML-DSA signing threads running in this process (0: it signs on its event loop)', registers: [registry],
  collect() { this.set(runningSigningThreads()); },
});
export const lockouts = new Counter({ name: 'qsign_lockouts_total', help: 'Brute-force lockouts started, by realm', labelNames: ['realm'], registers: [registry] });

/**
 * A counter's child for these label values (in `labelNames` order), resolved once: prom-client
 * otherwise hashes the label object on every increment, on the token endpoint's hot path.
 */
export function counterFor(counter: Counter, ...values: string[]): Counter.Internal {
  let children = counterChildren.get(counter);
  if (!children) { children = new Map(); counterChildren.set(counter, children); }
  const key = values.join('\0');
  let child = children.get(key);
  if (!child) { child = counter.labels(...values); children.set(key, child); }
  return child;
}
const counterChildren = new WeakMap<Counter, Map<string, Counter.Internal>>();

const PROTOCOL_ROUTES = ['auth', 'token', 'certs', 'userinfo', 'logout', 'token/introspect', 'revoke', 'login-status-iframe.html', '3p-cookies'];

/** A low-cardinality route name for a request path. */
export function routeOf(path: string): string {
  if (path.startsWith('/admin/')) return 'admin';
  if (path.startsWith('/health/')) return path.slice(1);
  const m = /^\/realms\/[^/]+(\/.*)?$/.exec(path);
  if (!m) return path === '/metrics' ? 'metrics' : 'other';
  const rest = m[1] ?? '';
  if (rest === '' || rest === '/') return 'realm';
  if (rest.startsWith('/.well-known/')) return 'discovery';
  if (rest.startsWith('/login-actions/')) return 'login';
  if (rest.startsWith('/account')) return 'account';
  const p = rest.replace('/protocol/openid-connect/', '');
  return PROTOCOL_ROUTES.find((r) => p === r || p.startsWith(`${r}/`)) ?? 'other';
}
