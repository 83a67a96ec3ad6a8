/**
 * A TCP proxy on a free port of 127.0.0.1 in front of one back end, which can stop forwarding
 * without closing anything: a network partition as a client sees it. While partitioned, bytes in
 * either direction are dropped, new connections are accepted (the client's connect succeeds) but
 * never reach the back end, and closes are not passed on. `heal()` ends the partition: the
 * connections that lost bytes or a close meanwhile are reset (their protocol state is gone, as
 * after TCP gives up on them); those that stayed idle forward again, and new ones work.
 */
import net, { type AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  partition(): void;
  heal(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  damaged: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let partitioned = false;
  const reset = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };
  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect(target);
    pair.upstream = upstream;
    upstream.on('data', (chunk) => {
      if (partitioned) pair.damaged = true;
      else pair.client.write(chunk);
    });
    upstream.on('error', () => undefined);
    upstream.on('close', () => {
      if (partitioned) pair.damaged = true;
      else reset(pair);
    });
  };
  const server = net.createServer((client) => {
    const pair: Pair = { client, damaged: partitioned };
    pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      if (partitioned) pair.damaged = true;
      else reset(pair);
    });
    client.on('data', (chunk) => {
      if (partitioned || !pair.upstream) pair.damaged = true;
      else pair.upstream.write(chunk);
    });
    if (!partitioned) connectUpstream(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    partition() {
      partitioned = true;
    },
    heal() {
      partitioned = false;
      for (const pair of [...pairs]) if (pair.damaged || !pair.upstream) reset(pair);
    },
    async close() {
      partitioned = false;
      for (const pair of [...pairs]) reset(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
