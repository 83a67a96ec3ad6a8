/**
 * `npm run build:store-template` (part of `prepare`): makes the embedded store's start-up template,
 * an empty migrated PGlite folder, in dist/store-template/ (store/pglite-template.ts). Without it
 * the server works as before: a new DATA_DIR is made by PGlite's initdb.
 */
import { makeStoreTemplate, STORE_TEMPLATE_DIR } from '../src/store/pglite-template.ts';

await makeStoreTemplate(STORE_TEMPLATE_DIR);
process.stdout.write(`store template written to ${STORE_TEMPLATE_DIR}\n`);
