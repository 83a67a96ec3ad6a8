/**
 * Schema migrations, applied in order at start inside one transaction each, recorded in
 * `schema_migrations`. Append only: a released migration is never edited.
 *
 * Model: a realm is one RealmRepresentation document (Keycloak's import/export shape) without
 * its users, so unknown fields survive and a realm changes atomically; users, credentials, keys
 * and oidc-provider artefacts are rows, because they are many and change one at a time.
 */
import { createHash } from 'node:crypto';
import type { SqlClient } from './sql.ts';

export const MIGRATIONS: string[] = [
  `CREATE TABLE realms (
     id text PRIMARY KEY,
     name text NOT NULL UNIQUE,
     representation jsonb NOT NULL,
     version integer NOT NULL DEFAULT 1,
     updated_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE users (
     id text PRIMARY KEY,
     realm_id text NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
     username text NOT NULL,
     email text,
     service_account_client_id text,
     representation jsonb NOT NULL,
     UNIQUE (realm_id, username)
   );
   CREATE INDEX users_email ON users (realm_id, lower(email));
   CREATE TABLE credentials (
     id text PRIMARY KEY,
     user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     type text NOT NULL,
     secret_data jsonb NOT NULL,
     credential_data jsonb NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX credentials_user ON credentials (user_id, type);
   CREATE TABLE keys (
     kid text PRIMARY KEY,
     realm_id text NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
     alg text NOT NULL,
     provider_id text NOT NULL,
     priority integer NOT NULL DEFAULT 100,
     status text NOT NULL CHECK (status IN ('ACTIVE', 'PASSIVE', 'DISABLED')),
     public_jwk jsonb,
     private_key bytea NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX keys_realm ON keys (realm_id);
   CREATE TABLE oidc_payloads (
     realm_id text NOT NULL,
     model text NOT NULL,
     id text NOT NULL,
     payload jsonb NOT NULL,
     grant_id text,
     uid text,
     user_code text,
     expires_at timestamptz,
     consumed_at timestamptz,
     PRIMARY KEY (realm_id, model, id)
   );
   CREATE INDEX oidc_payloads_grant ON oidc_payloads (realm_id, grant_id);
   CREATE INDEX oidc_payloads_uid ON oidc_payloads (realm_id, model, uid);
   CREATE INDEX oidc_payloads_user_code ON oidc_payloads (realm_id, model, user_code);
   CREATE INDEX oidc_payloads_expires ON oidc_payloads (expires_at);`,
  // 2: Keycloak components (key providers, rotation policies) own the keys; key lifecycle events.
  `CREATE TABLE components (
     id text PRIMARY KEY,
     realm_id text NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
     name text NOT NULL,
     provider_id text NOT NULL,
     provider_type text NOT NULL,
     parent_id text NOT NULL,
     sub_type text,
     config jsonb NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX components_realm ON components (realm_id, provider_type);
   INSERT INTO components (id, realm_id, name, provider_id, provider_type, parent_id, config)
     SELECT kid, realm_id, provider_id, provider_id, 'org.keycloak.keys.KeyProvider', realm_id,
       jsonb_build_object('priority', jsonb_build_array(priority::text), 'algorithm', jsonb_build_array(alg),
         'active', jsonb_build_array(CASE WHEN status = 'ACTIVE' THEN 'true' ELSE 'false' END),
         'enabled', jsonb_build_array(CASE WHEN status = 'DISABLED' THEN 'false' ELSE 'true' END))
     FROM keys;
   ALTER TABLE keys ADD COLUMN component_id text REFERENCES components(id) ON DELETE CASCADE;
   UPDATE keys SET component_id = kid;
   CREATE TABLE key_events (
     id bigserial PRIMARY KEY,
     realm_id text NOT NULL,
     kid text,
     alg text,
     component_id text,
     action text NOT NULL,
     actor text NOT NULL,
     at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX key_events_realm ON key_events (realm_id, at);`,
  // 3: keys held by an external back end (Vault transit, PKCS#11, composite of two keys) have no
  // local private key; `backend_ref` says where the key is (key version, CKA_ID, member kids).
  `ALTER TABLE keys ALTER COLUMN private_key DROP NOT NULL;
   ALTER TABLE keys ADD COLUMN backend text NOT NULL DEFAULT 'local';
   ALTER TABLE keys ADD COLUMN backend_ref jsonb;`,
  // 4: brute-force detection counters (Keycloak's login failures), one row per user.
  `CREATE TABLE login_failures (
     realm_id text NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
     user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     num_failures integer NOT NULL,
     last_failure timestamptz NOT NULL,
     last_ip text,
     locked_until timestamptz,
     PRIMARY KEY (realm_id, user_id)
   );`,
  // 5: login and admin events (Keycloak's event store), each chained to the previous one of its
  // realm by an HMAC, so that an edited or deleted event is detected (`events verify`).
  `CREATE TABLE events (
     id bigserial PRIMARY KEY,
     realm_id text NOT NULL,
     kind text NOT NULL CHECK (kind IN ('login', 'admin')),
     time bigint NOT NULL,
     type text NOT NULL,
     representation jsonb NOT NULL,
     prev_mac text NOT NULL,
     mac text NOT NULL
   );
   CREATE INDEX events_realm ON events (realm_id, kind, id);`,
  // 6: client_credentials tokens are transient (not stored, as in Keycloak 26); a revoked one is
  // remembered here until it expires.
  `CREATE TABLE revoked_tokens (
     realm_id text NOT NULL,
     jti text NOT NULL,
     expires_at timestamptz NOT NULL,
     PRIMARY KEY (realm_id, jti)
   );`,
  // 7: the uid, user_code and grant indexes of oidc_payloads hold only the rows that have one. Over
  // every row, they were equal candidates for any lookup of a realm's model while the statistics
  // were older than the table's growth (the normal state of a busy oidc_payloads), and PostgreSQL
  // planned lookups by id, and by uid, on the smallest of them, user_code: every row of the model
  // read per lookup (5 ms per refresh token at 5,000 rows, growing with the table). A partial index
  // only serves a query that names its column, so id lookups take the primary key. The new indexes
  // are built first (writes to the table wait, reads go on: about 1.5 s per million rows), the old
  // ones dropped last, so the exclusive lock that needs lasts from the drops to the commit.
  `CREATE INDEX IF NOT EXISTS oidc_payloads_by_grant ON oidc_payloads (realm_id, grant_id) WHERE grant_id IS NOT NULL;
   CREATE INDEX IF NOT EXISTS oidc_payloads_by_uid ON oidc_payloads (realm_id, model, uid) WHERE uid IS NOT NULL;
   CREATE INDEX IF NOT EXISTS oidc_payloads_by_user_code ON oidc_payloads (realm_id, model, user_code) WHERE user_code IS NOT NULL;
   DROP INDEX IF EXISTS oidc_payloads_grant;
   DROP INDEX IF EXISTS oidc_payloads_uid;
   DROP INDEX IF EXISTS oidc_payloads_user_code;`,
  // 8: a value sealed under KEY_ENCRYPTION_KEY when a store without local keys is first opened, so
  // that a process started with another key is refused even then (keys/kek-check.ts).
  `CREATE TABLE key_encryption_key_check (
     id smallint PRIMARY KEY CHECK (id = 1),
     sealed bytea NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   );`,
  // 9: a realm's events in chain order, for the chain head every append reads and for `events
  // verify`'s keyset walk (events/store.ts). events_realm leads with kind, so it cannot give that
  // order: for `WHERE realm_id = $1 ORDER BY id DESC LIMIT 1` PostgreSQL walked the primary key
  // backwards, filtering on realm_id, and read every newer event of the other realms before a quiet
  // realm's last one (measured: 3,000 rows removed by the filter at 5,000 events, statistics taken
  // before the busy realm grew); this index alone does not change that plan, so the store asks for
  // the order (realm_id, id) that only this index gives. Built in the migration's transaction
  // (CONCURRENTLY cannot run in one): appends wait during the build, reads go on; about 1.5 s per
  // million events.
  `CREATE INDEX IF NOT EXISTS events_chain ON events (realm_id, id);`,
  // 10: Keycloak's built-in clients (admin-cli, account, realm-management...) were stored without an
  // id, so the admin API could not address them (GET /clients/{id}) and admin events could not name
  // admin-cli by id; they get one (a UUID, as Keycloak's), and the realm's version moves on so every
  // process reloads it. Realms imported since have ids on every client (realm/import.ts).
  `UPDATE realms SET
     representation = jsonb_set(representation, '{clients}', (
       SELECT jsonb_agg(CASE WHEN c ? 'id' THEN c ELSE c || jsonb_build_object('id', gen_random_uuid()::text) END ORDER BY ord)
       FROM jsonb_array_elements(representation->'clients') WITH ORDINALITY AS t(c, ord))),
     version = version + 1, updated_at = now()
   WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(representation->'clients') c WHERE NOT c ? 'id');`,
  // 11: keys and components belong to their realm (issue 15: a realm's upsert `ON CONFLICT (kid)`
  // overwrote another realm's key): their primary keys become (realm_id, kid) and (realm_id, id),
  // and a key's component is looked up within its realm. The same kid or component id in two
  // realms is then two rows, and no statement of one realm can reach the other's. keys_realm is
  // covered by the new primary key.
  `ALTER TABLE keys DROP CONSTRAINT keys_component_id_fkey;
   ALTER TABLE keys DROP CONSTRAINT keys_pkey;
   ALTER TABLE keys ADD PRIMARY KEY (realm_id, kid);
   ALTER TABLE components DROP CONSTRAINT components_pkey;
   ALTER TABLE components ADD PRIMARY KEY (realm_id, id);
   ALTER TABLE keys ADD CONSTRAINT keys_component_fkey FOREIGN KEY (realm_id, component_id) REFERENCES components (realm_id, id) ON DELETE CASCADE;
   DROP INDEX keys_realm;`,
  // 12: DILITHIUM3 now means CRYSTALS-Dilithium round 3 (jose/dilithium3.ts).
  // Every key stored under the name before this migration is FIPS 204 ML-DSA-65 (a 32-byte seed, or an
  // ML-DSA-65 key in Vault or on a token), and DILITHIUM3-RS256 / -PS256 (withdrawn) are
  // ML-DSA-65-RS256 / -PS256 in another JWK form: they are renamed to what they are, with the same
  // bytes, so they sign what they signed; nothing is reinterpreted as a round-3 key. A local key's
  // private key stays sealed under its old alg (the seal binds kid and alg): `backend_ref.sealedAlg`
  // says which (signer/factory.ts opens with it). Public JWKs take the AKP form: pure ML-DSA-65
  // pub = x; the composites pub = x ‖ RSAPublicKey DER (n of an RSA-3072 key, e = 65537, the only
  // keys those algs made; any other is left NULL for a local key, which derives it at load). The
  // key providers, realms' default algorithms and clients' algorithm attributes follow, so realms
  // keep signing with the same keys; key_events records each rename. See docs/algorithms.md.
  `INSERT INTO key_events (realm_id, kid, alg, component_id, action, actor)
     SELECT realm_id, kid, CASE alg WHEN 'DILITHIUM3' THEN 'ML-DSA-65' WHEN 'DILITHIUM3-RS256' THEN 'ML-DSA-65-RS256' ELSE 'ML-DSA-65-PS256' END,
       component_id, 'renamed from ' || alg || ' (the former meaning of DILITHIUM3 was ML-DSA-65)', 'migration 12'
     FROM keys WHERE alg IN ('DILITHIUM3', 'DILITHIUM3-RS256', 'DILITHIUM3-PS256');
   UPDATE keys SET
     alg = CASE alg WHEN 'DILITHIUM3' THEN 'ML-DSA-65' WHEN 'DILITHIUM3-RS256' THEN 'ML-DSA-65-RS256' ELSE 'ML-DSA-65-PS256' END,
     backend_ref = CASE WHEN backend = 'local' THEN coalesce(backend_ref, '{}'::jsonb) || jsonb_build_object('sealedAlg', alg) ELSE backend_ref END,
     public_jwk = CASE
       WHEN public_jwk IS NULL THEN NULL
       WHEN alg = 'DILITHIUM3' THEN jsonb_build_object('kty', 'AKP', 'alg', 'ML-DSA-65', 'pub', public_jwk->>'x')
       WHEN public_jwk->>'e' = 'AQAB' AND length(public_jwk->>'n') = 512 THEN jsonb_build_object('kty', 'AKP',
         'alg', CASE alg WHEN 'DILITHIUM3-RS256' THEN 'ML-DSA-65-RS256' ELSE 'ML-DSA-65-PS256' END,
         'pub', rtrim(translate(replace(encode(
           decode(rpad(translate(public_jwk->>'x', '-_', '+/'), ((length(public_jwk->>'x') + 3) / 4) * 4, '='), 'base64')
           || '\\x3082018a0282018100'::bytea
           || decode(rpad(translate(public_jwk->>'n', '-_', '+/'), ((length(public_jwk->>'n') + 3) / 4) * 4, '='), 'base64')
           || '\\x0203010001'::bytea, 'base64'), E'\\n', ''), '+/', '-_'), '='))
       ELSE NULL END
   WHERE alg IN ('DILITHIUM3', 'DILITHIUM3-RS256', 'DILITHIUM3-PS256');
   UPDATE components SET config = jsonb_set(config, '{algorithm}', jsonb_build_array(CASE config->'algorithm'->>0
       WHEN 'DILITHIUM3' THEN 'ML-DSA-65' WHEN 'DILITHIUM3-RS256' THEN 'ML-DSA-65-RS256' ELSE 'ML-DSA-65-PS256' END))
     WHERE config->'algorithm'->>0 IN ('DILITHIUM3', 'DILITHIUM3-RS256', 'DILITHIUM3-PS256');
   UPDATE realms SET
     representation = replace(replace(replace(representation::text,
       '"DILITHIUM3-RS256"', '"ML-DSA-65-RS256"'), '"DILITHIUM3-PS256"', '"ML-DSA-65-PS256"'), '"DILITHIUM3"', '"ML-DSA-65"')::jsonb,
     version = version + 1, updated_at = now()
   WHERE representation::text LIKE '%"DILITHIUM3%';`,
  // 13: a key's lifecycle is data on its row (issue 15), no longer strings in its component's config
  // (`qsign.activateAt`, `qsign.retireAt`, `qsign.createdAt`, epoch seconds) nor matches on the text
  // of key events: activate_at (a pre-published key signs from then on), retire_at (a replaced key
  // is disabled then), published_at (first time it was ACTIVE or PASSIVE, i.e. in a JWKS; a
  // rotation-made key's qsign.createdAt, else its first ACTIVE/PASSIVE key event, else its creation
  // when it is not DISABLED). The config strings are carried over, then removed.
  `ALTER TABLE keys ADD COLUMN activate_at timestamptz;
   ALTER TABLE keys ADD COLUMN retire_at timestamptz;
   ALTER TABLE keys ADD COLUMN published_at timestamptz;
   UPDATE keys k SET
     activate_at = CASE WHEN c.config->'qsign.activateAt'->>0 ~ '^[0-9]{1,12}$' THEN to_timestamp((c.config->'qsign.activateAt'->>0)::bigint) END,
     retire_at = CASE WHEN c.config->'qsign.retireAt'->>0 ~ '^[0-9]{1,12}$' THEN to_timestamp((c.config->'qsign.retireAt'->>0)::bigint) END,
     published_at = CASE WHEN c.config->'qsign.createdAt'->>0 ~ '^[0-9]{1,12}$' THEN to_timestamp((c.config->'qsign.createdAt'->>0)::bigint) END
   FROM components c WHERE c.realm_id = k.realm_id AND c.id = k.component_id;
   UPDATE keys k SET published_at = coalesce(
       (SELECT min(e.at) FROM key_events e WHERE e.realm_id = k.realm_id AND e.kid = k.kid AND e.action ~ '\\m(ACTIVE|PASSIVE)\\M'),
       CASE WHEN k.status <> 'DISABLED' THEN k.created_at END)
     WHERE k.published_at IS NULL;
   UPDATE components SET config = config - 'qsign.activateAt' - 'qsign.retireAt' - 'qsign.createdAt'
     WHERE config ?| array['qsign.activateAt', 'qsign.retireAt', 'qsign.createdAt'];`,
  // 14 (issue 19): the deletion guard (keys/removal-guard.ts). signed_until: every signature the key
  // made was made before it (written ahead of signing, throttled: keys/signature-ledger.ts);
  // signed_lifetime: the longest lifetime (seconds) of what it signed, under the realm's lifespans
  // of the time. NULL: the key never signed since the column exists.
  `ALTER TABLE keys ADD COLUMN signed_until timestamptz;
   ALTER TABLE keys ADD COLUMN signed_lifetime integer;`,
  // 15 (issue 18): what a key is for (Keycloak's KeyUse): 'sig' signs and verifies; 'enc' is an
  // encryption key (rsa-enc-generated, rsa-enc, aes-generated) that never signs (keys/repository.ts).
  `ALTER TABLE keys ADD COLUMN use text NOT NULL DEFAULT 'sig';`,
  // 16 (issue 18): the realm's default role is no longer held implicitly by every user
  // (model/model.ts); as in Keycloak it is an explicit mapping, given to users created by the
  // admin API and to service accounts, and to imported users only where their file lists it
  // (RepresentationToModel.createUser: addDefaultRoles = false). Every user stored before this
  // migration held it implicitly: the mapping is written into their realmRoles so nothing changes
  // for them. The role name is the realm's defaultRole.name, else default-roles-{lower(realm)}
  // (realm/defaults.ts realmDefaultRole); users of a realm without that role are left as they are.
  `UPDATE users u SET representation = jsonb_set(u.representation, '{realmRoles}',
       jsonb_build_array(d.role) || CASE WHEN jsonb_typeof(u.representation->'realmRoles') = 'array' THEN u.representation->'realmRoles' ELSE '[]'::jsonb END)
     FROM (SELECT r.id, coalesce(r.representation->'defaultRole'->>'name', 'default-roles-' || lower(r.representation->>'realm')) AS role, r.representation
           FROM realms r) d
     WHERE u.realm_id = d.id
       AND NOT (CASE WHEN jsonb_typeof(u.representation->'realmRoles') = 'array' THEN u.representation->'realmRoles' ELSE '[]'::jsonb END) ? d.role
       AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d.representation->'roles'->'realm') = 'array'
                     THEN d.representation->'roles'->'realm' ELSE '[]'::jsonb END) AS e(role) WHERE e.role->>'name' = d.role);`,
  // (issue 21, account sessions; marker oidc_payloads_by_account): a user's sessions and refresh
  // tokens by account id (store/sessions.ts: the account API's device activity, applications,
  // sign-out). Only rows with an account id: a lookup by id (realm, model, id) names none, so it
  // cannot be planned on this index even on stale statistics (store-plans.test.ts), while
  // `payload->>'accountId' = $n` implies the predicate.
  `CREATE INDEX IF NOT EXISTS oidc_payloads_by_account ON oidc_payloads (realm_id, model, (payload->>'accountId')) WHERE (payload->>'accountId') IS NOT NULL AND model IN ('Session', 'RefreshToken');`,
  // h20b: used action tokens. An action token (tokens/action-token.ts) is single use: its id
  // is recorded here, in the transaction of what it does, until it expires.
  `CREATE TABLE used_action_tokens (
     realm_id text NOT NULL,
     jti text NOT NULL,
     expires_at timestamptz NOT NULL,
     PRIMARY KEY (realm_id, jti)
   );`,
  // (issue 20, consents and sessions) A user's consents per client (Keycloak UserConsentModel:
  // granted client scope names, created/updated times), and lookups of oidc-provider's sessions
  // and refresh tokens by user and by client for the admin sessions API (admin/sessions.ts).
  `CREATE TABLE IF NOT EXISTS user_consents (
     realm_id text NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
     user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     client_id text NOT NULL,
     granted_scopes jsonb NOT NULL DEFAULT '[]'::jsonb,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (realm_id, user_id, client_id)
   );
   CREATE INDEX IF NOT EXISTS oidc_payloads_by_client ON oidc_payloads (realm_id, model, (payload->>'clientId')) WHERE (payload->>'clientId') IS NOT NULL AND model = 'RefreshToken';
   CREATE INDEX IF NOT EXISTS oidc_payloads_session_clients ON oidc_payloads USING gin ((payload->'authorizations')) WHERE model = 'Session';`,
  // (issue 20, OTP credentials) Keycloak's CredentialRepresentation.userLabel ("My Android"), and
  // the last TOTP time step a credential accepted: a code of that step or an earlier one is refused
  // (RFC 6238 §5.2; Keycloak's otpPolicyCodeReusable false), checked and moved in one UPDATE.
  `ALTER TABLE credentials ADD COLUMN IF NOT EXISTS user_label text;
   ALTER TABLE credentials ADD COLUMN IF NOT EXISTS otp_last_step bigint;`,
  // (issue 21, fine-grained admin roles): RealmManager.addQueryCompositeRoles, which Keycloak applies
  // at every realm creation and import: the realm-management role view-users includes query-users
  // and query-groups, view-clients includes query-clients (realm/defaults.ts does it for realms
  // imported from now on). Realms stored before get those composites, beside any they have; the
  // realm's version moves on so every process reloads it.
  `UPDATE realms SET
     representation = jsonb_set(representation, '{roles,client,realm-management}', (
       SELECT jsonb_agg(CASE
           WHEN q.wanted IS NULL THEN r
           ELSE r || jsonb_build_object('composite', true, 'composites',
             coalesce(CASE WHEN jsonb_typeof(r->'composites') = 'object' THEN r->'composites' END, '{}'::jsonb)
             || jsonb_build_object('client',
               coalesce(CASE WHEN jsonb_typeof(r->'composites'->'client') = 'object' THEN r->'composites'->'client' END, '{}'::jsonb)
               || jsonb_build_object('realm-management', (
                 SELECT jsonb_agg(DISTINCT n) FROM jsonb_array_elements_text(
                   coalesce(CASE WHEN jsonb_typeof(r->'composites'->'client'->'realm-management') = 'array'
                     THEN r->'composites'->'client'->'realm-management' END, '[]'::jsonb) || q.wanted) AS x(n)))))
         END ORDER BY ord)
       FROM jsonb_array_elements(representation->'roles'->'client'->'realm-management') WITH ORDINALITY AS t(r, ord)
       LEFT JOIN (VALUES ('view-users', '["query-users", "query-groups"]'::jsonb), ('view-clients', '["query-clients"]'::jsonb))
         AS q(name, wanted) ON q.name = r->>'name')),
     version = version + 1, updated_at = now()
   WHERE jsonb_typeof(representation->'roles'->'client'->'realm-management') = 'array'
     AND jsonb_array_length(representation->'roles'->'client'->'realm-management') > 0;`,
  // users-scale-indexes (issue 22): every user search the admin API serves stays O(log n + matches)
  // at a million users of a realm (bench/scale/users.ts). Keycloak's `search` (JpaUserProvider
  // getSearchOptionPredicateArray) is a prefix LIKE ('x%', or with `*` wildcards, or "quoted" for
  // equality) over username, email, first and last name: one text_pattern_ops index each (the
  // database's collation is not C, so the plain unique index cannot serve LIKE 'x%'), combined by
  // a BitmapOr. users_listed (the users a search lists: no service accounts) serves the listing
  // order (ORDER BY username LIMIT) and count(*) as an index-only scan. `q=name:value` (attribute
  // equal, value ignoring case) has a GIN index over "name<US>lower(value)" terms, from an
  // IMMUTABLE function of the attributes. Built in the migration's transaction: writes to users
  // wait during the build, reads go on (about 10 s per million users on 2 cores).
  `CREATE OR REPLACE FUNCTION qsign_user_attribute_terms(attrs jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT coalesce(array_agg(e.k || chr(31) || lower(a.v)), ARRAY[]::text[]) FROM jsonb_each(CASE WHEN jsonb_typeof(attrs) = ''object'' THEN attrs ELSE ''{}''::jsonb END) AS e(k, vs), jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.vs) = ''array'' THEN e.vs ELSE ''[]''::jsonb END) AS a(v)';
   CREATE INDEX IF NOT EXISTS users_username_prefix ON users (realm_id, username text_pattern_ops);
   CREATE INDEX IF NOT EXISTS users_email_prefix ON users (realm_id, lower(email) text_pattern_ops);
   CREATE INDEX IF NOT EXISTS users_first_name_prefix ON users (realm_id, lower(representation->>'firstName') text_pattern_ops);
   CREATE INDEX IF NOT EXISTS users_last_name_prefix ON users (realm_id, lower(representation->>'lastName') text_pattern_ops);
   CREATE INDEX IF NOT EXISTS users_listed ON users (realm_id, username) WHERE service_account_client_id IS NULL;
   CREATE INDEX IF NOT EXISTS users_attribute_terms ON users USING gin (qsign_user_attribute_terms(representation->'attributes'));`,
  // events-scale-indexes (issue 22): the admin listing's filters (admin/events.ts: type, client,
  // user, dateFrom/dateTo) stay O(log n + page) at ten million events of a realm
  // (bench/scale/events.ts). Without them, `ORDER BY id DESC LIMIT` walked events_realm backwards
  // and filtered: a rare type or user, or an old date window, read every newer event (at a
  // million events: 40x to 100x the listing time at 10k). type and the two representation
  // members give the listing order (id) after an equality; with a time bound the listing is in
  // (time, id) order, which events_by_time gives for the window alone. The expressions are the ones listEvents writes (`representation #>> '{clientId}'`).
  // Each costs every append an index entry (the append rate is in the same bench). Built in the
  // migration's transaction: appends wait during the build, reads go on (about 15 s per million
  // events on 2 cores for the four).
  `CREATE INDEX IF NOT EXISTS events_by_type ON events (realm_id, kind, type, id);
   CREATE INDEX IF NOT EXISTS events_by_client ON events (realm_id, kind, (representation #>> '{clientId}'), id);
   CREATE INDEX IF NOT EXISTS events_by_user ON events (realm_id, kind, (representation #>> '{userId}'), id);
   CREATE INDEX IF NOT EXISTS events_by_time ON events (realm_id, kind, time, id);`,
];

/** The version (1-based position) of the migration whose SQL contains `marker`, 0 if none (for tests of one migration). */
export const migrationVersion = (marker: string): number =>
  MIGRATIONS.findIndex((m) => m.includes(marker)) + 1;

/**
 * SHA-256 (hex) of every migration's SQL in order: what a store made from a build-time template
 * (store/pglite-template.ts) must have been migrated with to be used.
 */
export const migrationsDigest = (): string =>
  createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex');

/** Applies every migration not yet recorded. Safe to run concurrently from several processes. */
export async function migrate(db: SqlClient): Promise<number> {
  await db.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  let applied = 0;
  for (let i = 0; i < MIGRATIONS.length; i += 1) {
    const version = i + 1;
    const done = await db.transaction(
      async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(727274)');
        const rows = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
          version,
        ]);
        if (rows.length) return false;
        for (const statement of MIGRATIONS[i]
          .split(/;\s*$/m)
          .map((s) => s.trim())
          .filter(Boolean)) {
          await tx.query(statement);
        }
        await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
        return true;
        // No statement time limit: an index build over a large table, or the wait for the lock while
        // another process migrates, takes as long as it takes.
      },
      { timeoutMs: 0 },
    );
    if (done) applied += 1;
  }
  return applied;
}
