/**
 * DATA_DIR is private to the server's user: the folder 0700, the PGlite files in it 0600 (the
 * store holds password hashes, sealed private keys and sessions; the development
 * KEY_ENCRYPTION_KEY file lives there too). Under the default umask (022) the folder was created
 * 0755, and PGlite writes the files of a new database 0666 whatever the umask (its initial files
 * are copied with that mode).
 *
 * An existing DATA_DIR that group or others may enter is tightened to 0700, with a warning naming
 * the old mode: that is what an upgrade from a version that created it 0755 finds, and refusing to
 * start would break every such deployment for a condition the server can repair itself
 * (PostgreSQL refuses instead; it never created its folder loose). A DATA_DIR the server may not
 * chmod (owned by another user, a mount point) is used with a warning: the `pglite` folder inside,
 * which the server creates and owns, is 0700 and guards the files either way.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Creates `dir` (and missing parents) 0700, or tightens an existing one that group or others
 * may use.
 * @param warn receives one sentence per change or failure (no secret in it).
 * @param required when true, a folder that cannot be tightened throws instead of warning.
 * @throws the fs error of mkdir, or of chmod when `required`.
 */
export function ensurePrivateDir(
  dir: string,
  warn: (message: string) => void,
  required = false,
): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = lstatSync(dir);
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(dir, PRIVATE_DIR_MODE);
    warn(`${dir} was open to group or others (mode ${octal(mode)}); set to 0700`);
  } catch (err) {
    if (required) throw err;
    warn(
      `${dir} is open to group or others (mode ${octal(mode)}) and cannot be set to 0700 (${(err as NodeJS.ErrnoException).code ?? 'error'}); its store folder is 0700`,
    );
  }
}

/**
 * Sets every folder under `root` (itself included) to 0700 and every file to 0600, without
 * following symbolic links; iterative, so a deep tree cannot overflow the stack.
 * @throws the fs error of a failed readdir or chmod.
 */
export function restrictTree(root: string): void {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    chmodSync(dir, PRIVATE_DIR_MODE);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isFile() && (lstatSync(full).mode & 0o077) !== 0)
        chmodSync(full, PRIVATE_FILE_MODE);
    }
  }
}
