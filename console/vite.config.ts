/**
 * Builds the Admin Console (and Account Console) app at install time (`npm run build:console`,
 * run by `prepare`): one Vite build with an entry per console, hashed file names under
 * dist/console/ and a manifest (.vite/manifest.json) the server reads to name the entry script
 * and styles in the page it renders, as Keycloak's server reads the admin-ui manifest. The
 * messages (messages/*.properties, Keycloak 26.7's English bundles) become the JSON arrays the
 * consoles' i18n fetches; Keycloak's images come from the admin-ui package.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'dot-properties';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Keycloak's message bundles as `[{key, value}]` JSON (ThemeResource's answer), and its images. */
function consoleResources(): Plugin {
  return {
    name: 'qsign-console-resources',
    generateBundle() {
      for (const type of ['admin', 'account']) {
        const messages = parse(
          readFileSync(path.join(here, 'messages', `${type}_en.properties`), 'utf8'),
        );
        const entries = Object.entries(messages).map(([key, value]) => ({ key, value }));
        this.emitFile({
          type: 'asset',
          fileName: `messages/${type}/en.json`,
          source: JSON.stringify(entries),
        });
      }
      const lib = path.dirname(fileURLToPath(import.meta.resolve('@keycloak/keycloak-admin-ui')));
      for (const image of ['logo.svg', 'favicon.svg', 'icon.svg', 'img_avatar.svg']) {
        this.emitFile({
          type: 'asset',
          fileName: image,
          source: readFileSync(path.join(lib, image)),
        });
      }
      // The Account Console's menu (Keycloak's account-ui public/content.json), at `{resourceUrl}/content.json`.
      this.emitFile({
        type: 'asset',
        fileName: 'content.json',
        source: readFileSync(path.join(here, 'account', 'content.json')),
      });
    },
  };
}

export default defineConfig({
  root: here,
  base: '/resources/console/',
  plugins: [react(), consoleResources()],
  resolve: {
    alias: {
      // The account-ui package exports only its module; its styles by file.
      '@keycloak/keycloak-account-ui/styles.css': fileURLToPath(
        new URL(
          'keycloak-account-ui.css',
          import.meta.resolve('@keycloak/keycloak-account-ui'),
        ),
      ),
    },
  },
  build: {
    outDir: path.join(here, '..', 'dist', 'console'),
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 8192,
    rollupOptions: {
      input: {
        admin: path.join(here, 'admin', 'main.tsx'),
        account: path.join(here, 'account', 'main.tsx'),
      },
    },
  },
});
