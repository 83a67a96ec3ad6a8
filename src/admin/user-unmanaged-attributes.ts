/**
 * `GET /admin/realms/{realm}/users/{id}/unmanagedAttributes`, Keycloak 26's
 * UserResource.getUnmanagedAttributes (services/.../resources/admin/UserResource.java): the
 * user's attributes that the realm's user profile (UPConfig) does not declare, as
 * `{name: [values]}`, without `username` and `email` and without attributes whose values are all
 * blank. requireView(user) (route-permissions.ts). The Admin Console's user form reads it after
 * creating or opening a user. @throws AdminError 404 "User not found"
 */
import type Router from '@koa/router';
import { findUserById } from '../store/users.ts';
import { realmUpConfig, type ProfileRealm } from '../realm/user-profile.ts';
import { notFound } from './errors.ts';
import { realmScope, type AdminDeps } from './context.ts';

/** The attributes of `attributes` not named in the profile config, with a non-blank value. */
export function unmanagedAttributes(
  attributes: Record<string, unknown> | undefined,
  realm: ProfileRealm,
): Record<string, string[]> {
  const managed = new Set(realmUpConfig(realm).attributes.map((a) => a.name));
  managed.add('username').add('email');
  const out: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(attributes ?? {})) {
    const values = (Array.isArray(raw) ? raw : [raw]).map(String);
    if (!managed.has(name) && values.some((v) => v.trim() !== '')) out[name] = values;
  }
  return out;
}

export function userUnmanagedAttributeRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/users/:id/unmanagedAttributes', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const user = await findUserById(deps.db, realm.id, ctx.params.id);
    if (!user) throw notFound('User not found');
    ctx.body = unmanagedAttributes(
      user.attributes as Record<string, unknown> | undefined,
      realm.doc as unknown as ProfileRealm,
    );
  });
}
