/**
 * The realm's password policy (RealmRepresentation `passwordPolicy`), as Keycloak parses and checks
 * it: PasswordPolicy.parse splits the string on " and ", each part `id` or `id(config)`; each
 * provider (server-spi-private org.keycloak.policy.*PasswordPolicyProvider) parses its config
 * with its default and checks a new password, failing with a message key of the login theme's
 * messages_en.properties and its parameters. Pure: the caller passes the user's stored password
 * hashes for `passwordHistory` (store/users.ts passwordHistory) and hashes new passwords with
 * `policyHashOptions` (model/password.ts).
 *
 * Supported ids and defaults (Keycloak 26): length (8), maxLength (64), digits (1),
 * lowerCase (1), upperCase (1), specialChars (1), notUsername, notContainsUsername, notEmail,
 * regexPattern (required; matched with RE2 semantics, linear time, so an administrator's pattern
 * cannot stall the server; a pattern RE2 cannot compile refuses every password), passwordHistory (3), hashAlgorithm (pbkdf2-sha512 when named without
 * a value), hashIterations (the algorithm's default), forceExpiredPasswordChange (365 days, parsed,
 * not enforced here). `passwordBlacklist` names a file on the server, which a realm administrator
 * may not make the server read: it is refused by `parsePasswordPolicy(..., { strict: true })`
 * and ignored otherwise, as are other ids we do not know.
 */
import { QsignError } from '../errors.ts';
import { RE2JS } from 're2js';
import { verifyPassword, type StoredPassword } from '../model/password.ts';
import { en } from '../i18n/messages/en.ts';
import { formatMessage } from '../i18n/format.ts';

/** One message of the login theme: Keycloak's key, its `{0}` parameters, the English text. */
export interface PolicyMessage {
  key: string;
  params: (string | number)[];
  text: string;
}

/**
 * A policy message with its English text, from the login bundle (i18n/messages/en.ts, Keycloak's
 * messages_en.properties) through the same MessageFormat subset the pages use; an unknown key
 * gives invalidPasswordGenericMessage's text.
 */
export function policyMessage(key: string, params: (string | number)[] = []): PolicyMessage {
  const template = en[key] ?? en.invalidPasswordGenericMessage;
  return { key, params, text: formatMessage(template, params) };
}

/** The hash algorithms a policy may name (PasswordHashProviderFactory ids). */
export const POLICY_HASH_ALGORITHMS = ['argon2', 'pbkdf2', 'pbkdf2-sha256', 'pbkdf2-sha512'];

type Rule =
  | {
      id: 'length' | 'maxLength' | 'digits' | 'lowerCase' | 'upperCase' | 'specialChars';
      n: number;
    }
  | { id: 'notUsername' | 'notContainsUsername' | 'notEmail' }
  | { id: 'regexPattern'; pattern: string; re?: ReturnType<typeof RE2JS.compile> }
  | { id: 'passwordHistory'; n: number };

/** A parsed policy: the checks in policy-string order, and the hashing settings. */
export interface PasswordPolicy {
  rules: Rule[];
  /** Number of passwords `passwordHistory` remembers (current included), or -1 without it. */
  history: number;
  /** `hashAlgorithm`, when the policy names one. */
  hashAlgorithm?: string;
  /** `hashIterations`, or -1 (the algorithm's default). */
  hashIterations: number;
  /** `forceExpiredPasswordChange` in days, or -1. */
  expireDays: number;
  /** `maxAuthAge` in seconds (PasswordPolicy.getMaxAuthAge), absent without it. */
  maxAuthAge?: number;
}

/** A policy string Keycloak would refuse (PasswordPolicyConfigException / "Unsupported policy"). */
export class PasswordPolicyConfigError extends QsignError {
  constructor(message: string) {
    super('ERR_PASSWORD_POLICY_CONFIG', message);
    this.name = 'PasswordPolicyConfigError';
  }
}

/** A provider's parseConfig refusal (PasswordPolicyConfigException). */
class ConfigReason extends Error {}

const INT_DEFAULTS: Record<string, number> = {
  length: 8,
  maxLength: 64,
  digits: 1,
  lowerCase: 1,
  upperCase: 1,
  specialChars: 1,
  passwordHistory: 3,
  hashIterations: -1,
  forceExpiredPasswordChange: 365,
  passwordAge: 365,
  maxAuthAge: 300,
};
const NO_CONFIG = new Set(['notUsername', 'notContainsUsername', 'notEmail']);

/** PasswordPolicyProvider.parseInteger: empty → default, else a whole number. */
function parseInteger(id: string, value: string | undefined): number {
  if (value === undefined || value === '') return INT_DEFAULTS[id];
  if (!/^-?\d{1,9}$/.test(value.trim())) throw new ConfigReason('Not a valid number');
  return Number(value.trim());
}

/** Splits `id(config) and id2 and ...` as PasswordPolicy.parse does. */
function splitPolicy(text: string): { id: string; config?: string }[] {
  if (!text.trim()) return [];
  return text.split(' and ').map((part) => {
    const p = part.trim();
    const i = p.indexOf('(');
    if (i === -1) return { id: p };
    const config = p.slice(i + 1, p.endsWith(')') ? -1 : undefined);
    return { id: p.slice(0, i).trim(), config };
  });
}

function compileRegex(config: string | undefined): Rule {
  if (config === undefined) throw new ConfigReason('Config required');
  if (!config.trim()) throw new ConfigReason('White space not acepted');
  try {
    return { id: 'regexPattern', pattern: config, re: RE2JS.compile(config) };
  } catch {
    throw new ConfigReason('Not a valid regular expression');
  }
}

/**
 * Parses a `passwordPolicy` string. Lenient by default (what a stored realm needs: a part we
 * cannot use is skipped); `strict` throws what Keycloak's realm update would refuse.
 * @throws PasswordPolicyConfigError (strict only) for an unknown id, a bad number or regex, an
 *   unknown hash algorithm, or `passwordBlacklist`
 */
export function parsePasswordPolicy(
  text: string | undefined | null,
  { strict = false }: { strict?: boolean } = {},
): PasswordPolicy {
  const policy: PasswordPolicy = { rules: [], history: -1, hashIterations: -1, expireDays: -1 };
  for (const { id, config } of splitPolicy(text ?? '')) {
    try {
      addPart(policy, id, config);
    } catch (e) {
      // PasswordPolicy.parse: "Invalid config for {id}: {reason}" / "Password policy not found".
      if (strict)
        throw e instanceof ConfigReason
          ? new PasswordPolicyConfigError(`Invalid config for ${id}: ${e.message}`)
          : e;
    }
  }
  return policy;
}

function addPart(policy: PasswordPolicy, id: string, config: string | undefined): void {
  switch (id) {
    case 'length':
    case 'maxLength':
    case 'digits':
    case 'lowerCase':
    case 'upperCase':
    case 'specialChars':
      policy.rules.push({ id, n: parseInteger(id, config) });
      return;
    case 'passwordHistory':
      policy.history = parseInteger(id, config);
      policy.rules.push({ id, n: policy.history });
      return;
    case 'regexPattern':
      try {
        policy.rules.push(compileRegex(config));
      } catch (e) {
        // A pattern RE2 cannot run (a Java-only construct, such as a backreference) fails closed
        // when lenient: every password is refused with the rule's message, never let through.
        policy.rules.push({ id: 'regexPattern', pattern: config ?? '' });
        throw e;
      }
      return;
    case 'hashIterations':
      policy.hashIterations = parseInteger(id, config);
      return;
    case 'forceExpiredPasswordChange':
      policy.expireDays = parseInteger(id, config);
      return;
    case 'maxAuthAge':
      policy.maxAuthAge = parseInteger(id, config);
      return;
    case 'passwordAge':
      parseInteger(id, config);
      return;
    case 'hashAlgorithm': {
      const algorithm = config || 'pbkdf2-sha512';
      if (!POLICY_HASH_ALGORITHMS.includes(algorithm))
        throw new ConfigReason('Password hashing provider not found');
      policy.hashAlgorithm = algorithm;
      return;
    }
    default:
      if (NO_CONFIG.has(id)) {
        policy.rules.push({ id } as Rule);
        return;
      }
      throw new PasswordPolicyConfigError(
        id === 'passwordBlacklist'
          ? 'passwordBlacklist is not supported: it names a file on the server'
          : 'Password policy not found',
      );
  }
}

/** What a new password is checked with. `history`: stored hashes, newest first (current first). */
export interface PolicyInput {
  password: string;
  username?: string;
  email?: string;
  history?: StoredPassword[];
}

export type PolicyResult = { ok: true } | { ok: false; messages: PolicyMessage[] };

// Java's Character.isDigit / isLowerCase / isUpperCase / isLetterOrDigit over UTF-16 units, as
// the providers iterate password.toCharArray().
const count = (password: string, re: RegExp) => password.split('').filter((c) => re.test(c)).length;

/** One rule's failure, or undefined (the providers' validate(realm, user, password)). */
function failure(rule: Rule, input: PolicyInput): PolicyMessage | undefined {
  const { password, username, email } = input;
  const min = (n: number, have: number, key: string) =>
    have < n ? policyMessage(key, [n]) : undefined;
  switch (rule.id) {
    case 'length':
      return min(rule.n, password.length, 'invalidPasswordMinLengthMessage');
    case 'maxLength':
      return password.length > rule.n
        ? policyMessage('invalidPasswordMaxLengthMessage', [rule.n])
        : undefined;
    case 'digits':
      return min(rule.n, count(password, /\p{Nd}/u), 'invalidPasswordMinDigitsMessage');
    case 'lowerCase':
      return min(rule.n, count(password, /\p{Ll}/u), 'invalidPasswordMinLowerCaseCharsMessage');
    case 'upperCase':
      return min(rule.n, count(password, /\p{Lu}/u), 'invalidPasswordMinUpperCaseCharsMessage');
    case 'specialChars':
      return min(
        rule.n,
        count(password, /[^\p{L}\p{Nd}]/u),
        'invalidPasswordMinSpecialCharsMessage',
      );
    case 'notUsername':
      // NotUsernamePasswordPolicyProvider: username.equals(password) (usernames are lower-case).
      return username !== undefined && username === password
        ? policyMessage('invalidPasswordNotUsernameMessage')
        : undefined;
    case 'notContainsUsername':
      return username && password.toLowerCase().includes(username.toLowerCase())
        ? policyMessage('invalidPasswordNotContainsUsernameMessage')
        : undefined;
    case 'notEmail':
      // NotEmailPasswordPolicyProvider.validateEmail: email.equalsIgnoreCase(password).
      return email && email.toLowerCase() === password.toLowerCase()
        ? policyMessage('invalidPasswordNotEmailMessage')
        : undefined;
    case 'regexPattern':
      // RegexPatternsPasswordPolicyProvider: Matcher.matches(), the whole password.
      return rule.re?.matches(password)
        ? undefined
        : policyMessage('invalidPasswordRegexPatternMessage', [rule.pattern]);
    case 'passwordHistory':
      return undefined; // checked asynchronously (hash verification) in checkPasswordPolicy
  }
}

/**
 * HistoryPasswordPolicyProvider: the new password may equal none of the last `n` passwords (the
 * current one and n-1 of the history). A stored hash we cannot verify is skipped, as Keycloak
 * skips a credential without a hash provider.
 */
async function inHistory(n: number, password: string, history: StoredPassword[]) {
  for (const stored of history.slice(0, Math.max(n, 1))) {
    try {
      if (await verifyPassword(password, stored)) return true;
    } catch {
      // unsupported algorithm: skipped
    }
  }
  return false;
}

/**
 * Checks a new password against a policy (a string is parsed leniently). Every failing rule is
 * reported, in policy order; Keycloak shows the first (`messages[0]`).
 */
export async function checkPasswordPolicy(
  policy: PasswordPolicy | string | undefined | null,
  input: PolicyInput,
): Promise<PolicyResult> {
  const parsed =
    typeof policy === 'object' && policy !== null ? policy : parsePasswordPolicy(policy);
  const messages: PolicyMessage[] = [];
  for (const rule of parsed.rules) {
    const message =
      rule.id === 'passwordHistory'
        ? (await inHistory(rule.n, input.password, input.history ?? []))
          ? policyMessage('invalidPasswordHistoryMessage', [rule.n])
          : undefined
        : failure(rule, input);
    if (message) messages.push(message);
  }
  return messages.length ? { ok: false, messages } : { ok: true };
}

/** Default iterations of Keycloak's hash providers (Argon2Parameters, Pbkdf2*Factory). */
export const DEFAULT_HASH_ITERATIONS: Record<string, number> = {
  argon2: 5,
  pbkdf2: 1_300_000,
  'pbkdf2-sha256': 600_000,
  'pbkdf2-sha512': 210_000,
};

/** Upper bound on pbkdf2 iterations (ours, not Keycloak's): a realm's policy cannot stall the CPU. */
export const MAX_PBKDF2_ITERATIONS = 2_000_000;

/**
 * How a new password is hashed under the policy (PasswordCredentialProvider.getHashProvider and
 * encodedCredential): the policy's algorithm or argon2, the policy's iterations or the
 * algorithm's default; Argon2PasswordHashProvider ignores iterations above 100 (a policy written
 * for pbkdf2, such as hashIterations(27500), would make argon2 take minutes); pbkdf2 iterations
 * are capped at MAX_PBKDF2_ITERATIONS.
 */
export function policyHashOptions(policy: PasswordPolicy): {
  algorithm: string;
  iterations: number;
} {
  const algorithm = policy.hashAlgorithm ?? 'argon2';
  let iterations = policy.hashIterations;
  if (iterations <= 0 || (algorithm === 'argon2' && iterations > 100))
    iterations = DEFAULT_HASH_ITERATIONS[algorithm];
  return { algorithm, iterations: Math.min(iterations, MAX_PBKDF2_ITERATIONS) };
}

/**
 * How many superseded passwords to keep as `password-history` credentials when a password is
 * replaced (PasswordCredentialProvider.createCredential: history policy value - 1; none without
 * the policy).
 */
export function historyToKeep(policy: PasswordPolicy): number {
  return Math.max(policy.history - 1, 0);
}
