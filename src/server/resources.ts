/** Static resources of the pages (views/resources), cached for an hour. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Router from '@koa/router';
import { VIEWS_DIR } from '../views-dir.ts';

export function resourceRoutes(router: Router): void {
  for (const [file, type] of [
    ['login.css', 'text/css'],
    ['logout.js', 'application/javascript'],
  ]) {
    router.get(`/resources/${file}`, async (ctx) => {
      ctx.type = type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = await readFile(path.join(VIEWS_DIR, 'resources', file));
    });
  }
}
