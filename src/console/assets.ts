/**
 * The consoles' built files (dist/console/, made by `npm run build:console` at install time from
 * console/): the Vite manifest naming each console's entry script, styles and preloads (as
 * Keycloak's server reads the admin-ui's manifest for index.ftl's entryScript / entryStyles /
 * entryImports), the static files under `/resources/console/`, and the message bundles.
 * Files are looked up by exact name in a table made once from the build directory, so a request
 * path can never reach a file outside it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIST = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'console',
);

/** Where the built files are served (Vite's `base` in console/vite.config.ts). */
export const CONSOLE_RESOURCES = '/resources/console';

export type ConsoleType = 'admin' | 'account';

/** What a console's page loads: paths relative to CONSOLE_RESOURCES. */
export interface ConsoleEntry {
  script: string;
  styles: string[];
  imports: string[];
}

type ManifestChunk = { file: string; css?: string[]; imports?: string[]; isEntry?: boolean };

export interface ConsoleBuild {
  entries: Partial<Record<ConsoleType, ConsoleEntry>>;
  /** Relative path (e.g. `assets/admin-x.js`) -> absolute file. */
  files: Map<string, string>;
}

function listFiles(dir: string, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.')) out.push(...listFiles(abs, rel));
    } else out.push([rel, abs]);
  }
  return out;
}

function entryOf(manifest: Record<string, ManifestChunk>, src: string): ConsoleEntry | undefined {
  const chunk = manifest[src];
  if (!chunk?.isEntry) return undefined;
  const imports = (chunk.imports ?? []).map((key) => manifest[key]?.file).filter(Boolean);
  const styles = [
    ...(chunk.css ?? []),
    ...(chunk.imports ?? []).flatMap((key) => manifest[key]?.css ?? []),
  ];
  return { script: chunk.file, styles: [...new Set(styles)], imports: imports as string[] };
}

/**
 * Reads the build once, at start (synchronously: a few hundred names). Without a build (dist/console missing: `npm run build:console` not run)
 * the consoles are absent: their pages answer 404 and say how to build them.
 */
export function loadConsoleBuild(dir = CONSOLE_DIST): ConsoleBuild {
  let manifest: Record<string, ManifestChunk>;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, '.vite', 'manifest.json'), 'utf8'));
  } catch {
    return { entries: {}, files: new Map() };
  }
  const entries: ConsoleBuild['entries'] = {};
  const admin = entryOf(manifest, 'admin/main.tsx');
  if (admin) entries.admin = admin;
  const account = entryOf(manifest, 'account/main.tsx');
  if (account) entries.account = account;
  return { entries, files: new Map(listFiles(dir)) };
}

/** A built file's contents by its relative path, or undefined when the build has no such file. */
export async function consoleFile(build: ConsoleBuild, rel: string): Promise<Buffer | undefined> {
  const abs = build.files.get(rel);
  return abs === undefined ? undefined : readFile(abs);
}
