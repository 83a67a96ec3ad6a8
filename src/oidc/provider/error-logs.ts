/** oidc-provider's `server_error` and `backchannel.error` events into the log, with the request id. */
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RealmContext } from '../realm-context.ts';

export function installErrorLogs(provider: Provider, rc: RealmContext): void {
  const { realm } = rc;
  // The request id server.ts gave the request (its X-Request-Id response header), to find its request line.
  const requestId = (ctx: KoaContextWithOIDC | undefined) =>
    ctx?.response?.get('X-Request-Id') || undefined;
  provider.on('server_error', (ctx, err) =>
    rc.log.error(
      { requestId: requestId(ctx), err, realm: realm.name },
      'oidc-provider server error',
    ),
  );
  provider.on('backchannel.error', (ctx, err, client) =>
    rc.log.warn(
      {
        requestId: requestId(ctx),
        realm: realm.name,
        clientId: client.clientId,
        err: { message: (err as Error).message },
      },
      'back-channel logout delivery failed',
    ),
  );
}
