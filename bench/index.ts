/**
 * `npm run bench`: bench/run.ts (grants, beside the stock oidc-provider), bench/signers.ts,
 * bench/token-sizes.ts and bench/store-statements.ts, one after the other. `npm run bench -- scale`: the growth curves instead
 * (bench/scale/run.ts, issue 22).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const here = import.meta.dirname;
const scripts =
  process.argv[2] === 'scale'
    ? [path.join(here, 'scale', 'run.ts')]
    : ['run.ts', 'signers.ts', 'token-sizes.ts', 'store-statements.ts'].map((f) =>
        path.join(here, f),
      );
for (const script of scripts) {
  const { status } = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
