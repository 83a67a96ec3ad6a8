/**
 * Signing overhead of the deletion guard's signature ledger (keys/signature-ledger.ts): signatures/s of a
 * local signer bare vs behind the ledger (one store write per key per WINDOW_MS; the store here is a
 * stub answering in 1 ms), alternated five times, median ratio. Run: `npx node bench/signature-ledger.ts` (node 24).
 */
import { Metrics } from '../src/metrics.ts';
import { generateKey } from '../src/keys/generate.ts';
import { LocalSigner } from '../src/signer/local.ts';
import { metered } from '../src/signer/metered.ts';
import { RealmKeys } from '../src/keys/realm-keys.ts';
import { SignatureLedger, withSignatureLedger } from '../src/keys/signature-ledger.ts';
const store = { writes: 0 };
const db = {
  query: async () => {
    store.writes += 1;
    await new Promise((r) => setTimeout(r, 1));
    return [];
  },
} as never;
const input = new TextEncoder().encode('eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJ4In0');
for (const alg of ['HS512', 'ES256', 'ML-DSA-65']) {
  const key = await generateKey(alg);
  const bare = metered(
    new LocalSigner(key.kid, alg, key.privateKey),
    new Metrics({ defaultMetrics: false }),
  );
  const record = { kid: key.kid, status: 'ACTIVE' } as never;
  const tracked = withSignatureLedger(
    new RealmKeys([{ record, signer: bare }]),
    new SignatureLedger(db, 'r', {}),
  ).keys[0].signer;
  const rate = async (s: typeof bare, ms: number) => {
    let n = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      await s.sign(input);
      n += 1;
    }
    return n / (ms / 1000);
  };
  await rate(bare, 300);
  await rate(tracked, 300);
  const ratios: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const b = await rate(bare, 600);
    const t = await rate(tracked, 600);
    ratios.push(t / b);
  }
  ratios.sort();
  process.stdout.write(
    `${alg}: tracked/bare signatures/s median ${ratios[2].toFixed(3)} (range ${ratios[0].toFixed(3)}-${ratios[4].toFixed(3)}), store writes so far ${store.writes}\n`,
  );
}
