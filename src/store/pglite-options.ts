/**
 * How the embedded store's PostgreSQL (PGlite) is started: PGlite's own start parameters
 * (`PGlite.defaultStartParams`: single-user mode, no parallel workers, ...), kept as they are, plus
 * a smaller buffer cache. PostgreSQL's default `shared_buffers` (128 MB, written by initdb) is
 * memory PGlite's WebAssembly instance touches at start and never gives back; the embedded store
 * is for one process with a small working set, and the operating system's page cache stands
 * behind it (PGlite's node file system reads the files with ordinary system calls). Durability is
 * not a buffer-cache matter: every setting that decides what a crash keeps is PGlite's default.
 * Measured: docs/performance.md "Start-up and memory".
 */
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/** PostgreSQL `shared_buffers` of the embedded store (PostgreSQL's minimum is 128kB). */
export const PGLITE_SHARED_BUFFERS = '16MB';

/** Options for `PGlite.create` (any data dir): the start parameters above. */
export function pgliteOptions(): PGliteOptions {
  return {
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
  };
}
