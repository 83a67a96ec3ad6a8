/**
 * oidc-usersessionmodel-note-mapper: a user session note (`user.session.note`) as a claim:
 * `AUTH_TIME` gives Keycloak's `auth_time` (basic scope), `client_id` / `clientId`,
 * `clientHost`, `clientAddress` the service-account claims. No note, no claim.
 * Keycloak UserSessionNoteMapper. Targets: access, id, userinfo, introspection.
 */
import { mapClaim } from './map-claim.ts';
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';

export const sessionNoteMapper: MapperType = {
  id: 'oidc-usersessionmodel-note-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply(claims, mapper, ctx) {
    const note = mapper.config['user.session.note'];
    const value = note === undefined ? undefined : ctx.session.notes[note];
    if (value !== undefined) mapClaim(claims, mapper, value);
  },
};
