/**
 * Where the Eta templates and static page resources live: the repository's `views/` folder
 * (pages, `views/email/` for the emails, `views/protocol/` for keycloak-js's iframe pages,
 * `views/resources/` for styles). A leaf module, so that both the login pages (src/interaction/)
 * and the emails (src/email/) can find the templates without importing each other.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of `views/`, resolved from this file (works from src/ and dist/ alike). */
export const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'views');
