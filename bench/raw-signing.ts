/**
 * The raw signing rate of each alg given as arguments: signatures/s of a LocalSigner over a
 * typical 600-byte JWS signing input, no HTTP, 8 signatures in flight (so signers that work on
 * libuv's thread pool are measured at their throughput, not their latency). `npm run bench` runs
 * it pinned to one core (`taskset -c 0`), which makes it the single-core rate; RAW_SECONDS per alg
 * (default 2). Prints
 * `{"alg": signatures per second, ...}` as JSON on stdout.
 */
import { generateKey } from '../src/keys/generate.ts';
import { LocalSigner } from '../src/signer/local.ts';

const SECONDS = Number(process.env.RAW_SECONDS ?? 2);
const IN_FLIGHT = 8;
const rates: Record<string, number> = {};
for (const alg of process.argv.slice(2)) {
  const key = await generateKey(alg);
  const signer = new LocalSigner(key.kid, alg, key.privateKey);
  const input = Buffer.alloc(600, 97);
  for (let i = 0; i < 50; i += 1) await signer.sign(input);
  let n = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() - started < SECONDS * 1000) {
        await signer.sign(input);
        n += 1;
      }
    }),
  );
  rates[alg] = n / ((performance.now() - started) / 1000);
}
process.stdout.write(`${JSON.stringify(rates)}\n`);
