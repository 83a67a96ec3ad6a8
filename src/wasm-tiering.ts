/**
 * WebAssembly tiering for short-lived commands (`import`, `export`, `keys`, `events verify`).
 * V8 first compiles WebAssembly with its baseline compiler (Liftoff) and recompiles hot functions
 * with its optimising compiler. For PGlite's PostgreSQL one hot function (about 105 KB of
 * WebAssembly, reached by the first queries) takes about 600 MB of compiler memory to optimise
 * (V8 13.6, `--trace-wasm-compilation-times`): a command that runs for seconds pays that peak and
 * gains nothing from the faster code. The server keeps V8's default tiering: optimised, the store
 * answers about twice as many queries per second (docs/performance.md "Start-up and memory").
 */
import v8 from 'node:v8';

/**
 * Keeps this process's WebAssembly on the baseline compiler. Call before any module is compiled
 * (before the store opens); later modules only.
 */
export function baselineWasmOnly(): void {
  v8.setFlagsFromString('--no-wasm-tier-up');
  v8.setFlagsFromString('--no-wasm-dynamic-tiering');
}
