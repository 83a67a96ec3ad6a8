/**
 * oidc-organization-membership-mapper (built-in `organization` scope): organizations are not
 * modelled here. Keycloak's OrganizationMembershipMapper writes nothing when the realm has
 * organizations disabled (`organizationsEnabled` false, the default), which is what this does;
 * for a realm with organizations enabled the mapper is reported as skipped.
 */
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';

export const organizationMapper: MapperType = {
  id: 'oidc-organization-membership-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply() {},
  unsupported: (realm) => realm.organizationsEnabled,
};
