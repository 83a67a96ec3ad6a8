/**
 * Keycloak's declarative user profile (UPConfig), as the Account Console sees it (the ACCOUNT
 * context of DeclarativeUserProfileProvider): the realm's config, or Keycloak 26's default
 * (keycloak-default-user-profile.json: username, email, firstName, lastName and the
 * `user-metadata` group); the attribute metadata the account API returns
 * (`userProfileMetadata`); and the validation of an update with Keycloak's message keys
 * (LengthValidator, EmailValidator, PersonNameProhibitedCharactersValidator,
 * UsernameProhibitedCharactersValidator, AttributeRequiredByMetadataValidator,
 * UsernameMutationValidator, ReadOnlyAttributeUnchangedValidator). Pure: no I/O.
 */
import { z } from 'zod';

const permissions = z.looseObject({
  view: z.array(z.string()).default([]),
  edit: z.array(z.string()).default([]),
});
const attributeSchema = z.looseObject({
  name: z.string().min(1),
  displayName: z.string().optional(),
  validations: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  annotations: z.record(z.string(), z.unknown()).optional(),
  required: z
    .looseObject({ roles: z.array(z.string()).optional(), scopes: z.array(z.string()).optional() })
    .optional(),
  permissions: permissions.default({ view: [], edit: [] }),
  multivalued: z.boolean().default(false),
  group: z.string().nullish(),
});
const groupSchema = z.looseObject({
  name: z.string(),
  displayHeader: z.string().optional(),
  displayDescription: z.string().optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
});
/** A realm's UPConfig (Keycloak's org.keycloak.representations.userprofile.config.UPConfig). */
export const upConfigSchema = z.looseObject({
  attributes: z.array(attributeSchema).default([]),
  groups: z.array(groupSchema).default([]),
  unmanagedAttributePolicy: z.enum(['ENABLED', 'ADMIN_VIEW', 'ADMIN_EDIT']).optional(),
});
export type UpConfig = z.infer<typeof upConfigSchema>;
export type UpAttribute = z.infer<typeof attributeSchema>;

const BOTH = { view: ['admin', 'user'], edit: ['admin', 'user'] };
const name = (n: string, extra: Record<string, Record<string, unknown>>) => ({
  name: n,
  displayName: `\${${n}}`,
  validations: { length: { max: 255 }, ...extra },
  required: { roles: ['user'] },
  permissions: BOTH,
  multivalued: false,
});

/** Keycloak 26's default user profile (services/src/main/resources/keycloak-default-user-profile.json). */
export const DEFAULT_UP_CONFIG: UpConfig = upConfigSchema.parse({
  attributes: [
    {
      name: 'username',
      displayName: '${username}',
      validations: {
        length: { min: 3, max: 255 },
        'username-prohibited-characters': {},
        'up-username-not-idn-homograph': {},
      },
      permissions: BOTH,
      multivalued: false,
    },
    {
      name: 'email',
      displayName: '${email}',
      validations: { email: {}, length: { max: 255 } },
      required: { roles: ['user'] },
      permissions: BOTH,
      multivalued: false,
    },
    name('firstName', { 'person-name-prohibited-characters': {} }),
    name('lastName', { 'person-name-prohibited-characters': {} }),
  ],
  groups: [
    {
      name: 'user-metadata',
      displayHeader: 'User metadata',
      displayDescription: 'Attributes, which refer to user metadata',
    },
  ],
});

/** The realm settings the ACCOUNT context reads. */
export interface ProfileRealm {
  editUsernameAllowed?: boolean;
  registrationEmailAsUsername?: boolean;
  components?: Record<string, { providerId?: string; config?: Record<string, unknown> }[]>;
}

/**
 * The realm's UPConfig: the `kc.user.profile.config` of its `declarative-user-profile`
 * component (as Keycloak stores and exports it), else Keycloak's default. A config that does not
 * parse falls back to the default (an import already accepted it).
 */
export function realmUpConfig(realm: ProfileRealm): UpConfig {
  const component = realm.components?.['org.keycloak.userprofile.UserProfileProvider']?.[0];
  const raw = component?.config?.['kc.user.profile.config'];
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (typeof text !== 'string') return DEFAULT_UP_CONFIG;
  try {
    const parsed = upConfigSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : DEFAULT_UP_CONFIG;
  } catch {
    return DEFAULT_UP_CONFIG;
  }
}

export const ROOT_ATTRIBUTES = ['username', 'email', 'firstName', 'lastName'] as const;
const isRoot = (n: string) => (ROOT_ATTRIBUTES as readonly string[]).includes(n);

const userCan = (a: UpAttribute, what: 'view' | 'edit') =>
  a.permissions.edit.includes('user') || (what === 'view' && a.permissions.view.includes('user'));

/** Whether the user may change `a` in the ACCOUNT context (DeclarativeUserProfileProvider's write conditions). */
export function editableByUser(a: UpAttribute, realm: ProfileRealm): boolean {
  if (!userCan(a, 'edit')) return false;
  if (a.name === 'username')
    return realm.editUsernameAllowed === true && realm.registrationEmailAsUsername !== true;
  return true;
}

/** Required for the user: `required` without roles and scopes, or with the `user` role. */
const requiredForUser = (a: UpAttribute) =>
  !!a.required &&
  ((!a.required.roles && !a.required.scopes) || (a.required.roles ?? []).includes('user'));

/** The attributes the user sees: viewable by `user`; no username when the email is the username. */
export function visibleAttributes(config: UpConfig, realm: ProfileRealm): UpAttribute[] {
  return config.attributes.filter(
    (a) =>
      userCan(a, 'view') && !(a.name === 'username' && realm.registrationEmailAsUsername === true),
  );
}

/**
 * `userProfileMetadata` of the account UserRepresentation (UserProfileMetadata):
 * `{attributes: [{name, displayName, required, readOnly, annotations?, validators, multivalued,
 * group?}], groups: [{name, displayHeader, displayDescription, annotations?}]}`.
 */
export function accountProfileMetadata(config: UpConfig, realm: ProfileRealm) {
  return {
    attributes: visibleAttributes(config, realm).map((a) => ({
      name: a.name,
      displayName: a.displayName ?? a.name,
      required: requiredForUser(a),
      readOnly: !editableByUser(a, realm),
      ...(a.annotations ? { annotations: a.annotations } : {}),
      validators: a.validations,
      multivalued: a.multivalued,
      ...(a.group ? { group: a.group } : {}),
    })),
    groups: config.groups,
  };
}

/** One validation error: Keycloak's ErrorRepresentation `{field, errorMessage, params}`. */
export interface ProfileError {
  field: string;
  errorMessage: string;
  params: (string | null)[];
}

const PERSON_NAME = /[<>&"$%!#?§;*~/\\|^=[\]{}()\u0000-\u001f\u007f]/;
const USERNAME_CHARS = /[<>&"'\s$%!#?§,;:*~/\\|^=[\]{}()`\u0000-\u001f\u007f]/;
// EmailValidator: local part and domain as Keycloak's (simplified to its accepted shapes).
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/;

/** The errors of one value of `a` (AbstractStringValidator: blank values are not validated). */
function valueErrors(a: UpAttribute, value: string, label: string): ProfileError[] {
  const errors: ProfileError[] = [];
  const add = (errorMessage: string, ...params: (string | null)[]) =>
    errors.push({ field: a.name, errorMessage, params: [label, ...params] });
  if (value.trim() === '') return errors;
  for (const [id, cfg] of Object.entries(a.validations)) {
    if (id === 'length') {
      const min =
        typeof cfg.min === 'number' || typeof cfg.min === 'string' ? Number(cfg.min) : NaN;
      const max =
        typeof cfg.max === 'number' || typeof cfg.max === 'string' ? Number(cfg.max) : NaN;
      const length = (cfg['trim-disabled'] === true ? value : value.trim()).length;
      if ((!isNaN(min) && length < min) || (!isNaN(max) && length > max)) {
        const message = isNaN(max)
          ? 'error-invalid-length-too-short'
          : isNaN(min)
            ? 'error-invalid-length-too-long'
            : 'error-invalid-length';
        add(message, isNaN(min) ? null : String(min), isNaN(max) ? null : String(max));
      }
    } else if (id === 'email' && !EMAIL.test(value)) add('error-invalid-email');
    else if (id === 'person-name-prohibited-characters' && PERSON_NAME.test(value))
      add('error-person-name-invalid-character');
    else if (id === 'username-prohibited-characters' && USERNAME_CHARS.test(value))
      add('error-username-invalid-character');
  }
  return errors;
}

/** The user's current values of an attribute (root fields and `attributes`). */
export type AttributeValues = Record<string, string[]>;

/**
 * Checks an account update: `input` holds the submitted values of every attribute (root fields
 * and `attributes`), `current` the user's stored ones. Returns the errors in Keycloak's order and
 * form, and the values to store (only attributes the user may edit; a read-only or unmanaged
 * attribute left out keeps its value, one sent with another value is refused with
 * `updateReadOnlyAttributesRejectedMessage`; a changed username without `editUsernameAllowed`
 * with `readOnlyUsernameMessage`). An editable attribute left out keeps its value (Keycloak's
 * account console always sends every attribute; keeping is the safe reading of a partial body);
 * one sent empty is cleared. Every value that would be stored is validated.
 */
export function validateAccountUpdate(
  config: UpConfig,
  realm: ProfileRealm,
  current: AttributeValues,
  input: AttributeValues,
): { errors: ProfileError[]; values: AttributeValues } {
  const errors: ProfileError[] = [];
  const values: AttributeValues = {};
  const managed = new Map(config.attributes.map((a) => [a.name, a]));
  const same = (a: string[] = [], b: string[] = []) =>
    a.filter(Boolean).join('\u0000') === b.filter(Boolean).join('\u0000');
  for (const a of visibleAttributes(config, realm)) {
    const label = a.displayName ?? a.name;
    const sent = input[a.name];
    if (!editableByUser(a, realm)) {
      if (a.name === 'username' && sent?.[0] && sent[0].toLowerCase() !== current.username?.[0])
        errors.push({ field: a.name, errorMessage: 'readOnlyUsernameMessage', params: [label] });
      else if (a.name !== 'username' && sent !== undefined && !same(sent, current[a.name]))
        errors.push(readOnly(a.name));
      continue;
    }
    const next = (sent ?? current[a.name] ?? []).filter((v) => v !== '');
    if (!a.multivalued && next.length > 1) errors.push(readOnly(a.name));
    if (next.length === 0 && requiredForUser(a))
      errors.push({
        field: a.name,
        errorMessage: 'error-user-attribute-required',
        params: [label],
      });
    for (const v of next) errors.push(...valueErrors(a, v, label));
    values[a.name] = next;
  }
  const handled = new Set(visibleAttributes(config, realm).map((a) => a.name));
  for (const [key, sent] of Object.entries(input)) {
    if (handled.has(key) || isRoot(key)) continue;
    // Unmanaged attributes are read-only for the user unless the policy is ENABLED; managed ones
    // the user may not see are always.
    if (!managed.has(key) && config.unmanagedAttributePolicy === 'ENABLED')
      values[key] = sent.filter((v) => v !== '');
    else if (!same(sent, current[key])) errors.push(readOnly(key));
  }
  return { errors, values };
}

const readOnly = (field: string): ProfileError => ({
  field,
  errorMessage: 'updateReadOnlyAttributesRejectedMessage',
  params: [field],
});
