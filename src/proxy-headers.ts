/**
 * Which proxy headers the server believes, as Keycloak's `proxy-headers` and
 * `proxy-trusted-addresses` options (Keycloak "Configuring a reverse proxy" guide).
 *
 * - Unset (the default), X-Forwarded-* are ignored: the client's address is the TCP peer's, the
 *   scheme and host are the connection's. A client could otherwise pick its own address for every
 *   request and slip past per-IP rate limits, and forge the address of login and admin events.
 * - `xforwarded`: X-Forwarded-Proto and X-Forwarded-Host give the scheme and host, and the client's
 *   address is the LAST X-Forwarded-For entry (Koa's `maxIpsCount: 1`): the address the nearest
 *   proxy saw, which it appends itself. Earlier entries are the client's own say and are not used.
 *   Behind a chain of proxies, the nearest one must write the address it trusts (nginx:
 *   `proxy_set_header X-Forwarded-For $remote_addr` at the edge).
 * - With trusted addresses (IPs or CIDR ranges), the headers count only on connections from those
 *   peers; from any other peer they are removed before anything reads them.
 */
import { BlockList, isIPv4 } from 'node:net';
import type Koa from 'koa';
import type { Middleware } from 'koa';

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port'];

/** An IPv4 peer on a dual-stack socket is reported as `::ffff:a.b.c.d`. */
function peerAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIPv4(v4) ? { address: v4, family: 'ipv4' } : { address, family: 'ipv6' };
}

/** Parses `PROXY_TRUSTED_ADDRESSES` entries (validated by config.ts) into a BlockList. */
export function trustedPeers(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIPv4(address!) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address!, family);
    else list.addSubnet(address!, Number(prefix), family);
  }
  return list;
}

/**
 * Sets `app.proxy` from `proxyHeaders` and returns the middleware (first in the chain) that drops
 * X-Forwarded-* from peers outside `trustedAddresses`.
 */
export function proxyHeaders(
  app: Koa,
  options: { proxyHeaders?: 'xforwarded'; proxyTrustedAddresses: string[] },
): Middleware {
  app.proxy = options.proxyHeaders === 'xforwarded';
  app.maxIpsCount = 1;
  const trusted = options.proxyTrustedAddresses.length
    ? trustedPeers(options.proxyTrustedAddresses)
    : undefined;
  return async (ctx, next) => {
    if (app.proxy && trusted) {
      const remote = ctx.req.socket.remoteAddress;
      const peer = remote ? peerAddress(remote) : undefined;
      if (!peer || !trusted.check(peer.address, peer.family))
        for (const header of FORWARDED) delete ctx.req.headers[header];
    }
    await next();
  };
}
