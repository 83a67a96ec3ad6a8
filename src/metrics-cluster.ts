/**
 * `/metrics` across node:cluster workers (WORKERS > 1), with prom-client's AggregatorRegistry:
 * the worker answering a scrape asks the primary over the cluster IPC channel; the primary
 * collects every worker's registry (`AggregatorRegistry.clusterMetrics()`, which gives up after
 * prom-client's fixed 5 s when a worker does not answer) and sends back the aggregated
 * Prometheus text. Each metric is combined by its `aggregator` option (prom-client's default
 * `sum`; its Node metrics bring their own: `first`, `min`, `max`, `average`, `omit`).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'qsign:metrics-request';
const RESPONSE = 'qsign:metrics-response';
type Response = { type: typeof RESPONSE; id: number; text?: string; error?: string };

/** How long a worker waits for the primary's answer (ms): past prom-client's own 5 s. */
export const PRIMARY_TIMEOUT_MS = 6_000;

/**
 * In a worker: hands `registry` to prom-client's worker side, which answers the primary's
 * collection, and labels its series with the worker's id (`worker`, node:cluster's, new for each
 * replacement): summed across workers, a counter would drop by a dead worker's whole count, which
 * Prometheus takes for a reset of every worker's; per worker, a dead worker's series just ends.
 * Sum them in queries: `sum without (worker) (rate(qsign_http_requests_total[5m]))`.
 * @returns how this worker asks the primary for the whole cluster's metrics (clusterMetricsFromPrimary).
 */
export function shareWorkerRegistry(registry: Registry): (timeoutMs?: number) => Promise<string> {
  registry.setDefaultLabels({ worker: String(cluster.worker?.id ?? process.pid) });
  // The constructor installs prom-client's listener for the primary's requests (once per process).
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const requests: PendingRequests = { pending: new Map(), nextId: 0 };
  process.on('message', (message: Response) => {
    if (message?.type === RESPONSE) requests.pending.get(message.id)?.(message);
  });
  return (timeoutMs) => clusterMetricsFromPrimary(requests, timeoutMs);
}

/** A worker's requests to the primary awaiting their answer, by id. */
interface PendingRequests {
  pending: Map<number, (message: Response) => void>;
  nextId: number;
}

/**
 * In a worker: the whole cluster's metrics in the Prometheus text format, from the primary.
 * @throws Error when the primary does not answer within `timeoutMs` (ms), or a worker did not
 *   answer the primary within 5 s, or the IPC channel is gone.
 */
function clusterMetricsFromPrimary(
  requests: PendingRequests,
  timeoutMs = PRIMARY_TIMEOUT_MS,
): Promise<string> {
  const { pending } = requests;
  return new Promise((resolve, reject) => {
    const id = requests.nextId++;
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`the cluster primary did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(id, (message) => {
      clearTimeout(timer);
      pending.delete(id);
      if (typeof message.text === 'string') resolve(message.text);
      else reject(new Error(message.error ?? 'no answer'));
    });
    // With a callback, a closed channel is reported there, not as an 'error' event on process.
    const unreachable = (err: Error | null) => {
      if (err)
        pending.get(id)?.({
          type: RESPONSE,
          id,
          error: `cannot reach the cluster primary: ${err.message}`,
        });
    };
    try {
      process.send!({ type: REQUEST, id }, undefined, undefined, unreachable);
    } catch (err) {
      unreachable(err as Error);
    }
  });
}

/**
 * In the cluster primary: answers each worker's request with every worker's metrics, aggregated.
 * Requests arriving while a collection runs share it: a flood of scrapes makes one at a time.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  let collecting: Promise<string> | undefined;
  cluster.on('message', (worker: Worker, message: { type?: string; id?: number }) => {
    if (message?.type !== REQUEST || typeof message.id !== 'number') return;
    const id = message.id;
    collecting ??= aggregator.clusterMetrics().finally(() => {
      collecting = undefined;
    });
    collecting
      .then(
        (text): Response => ({ type: RESPONSE, id, text }),
        (err: Error): Response => ({
          type: RESPONSE,
          id,
          error:
            err.message === 'Operation timed out.'
              ? 'a worker did not answer the collection within 5 s'
              : err.message,
        }),
      )
      .then((response) => {
        if (worker.isConnected()) worker.send(response, undefined, () => undefined);
      });
  });
}
