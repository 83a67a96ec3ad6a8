/**
 * Migration 12 (src/store/migrations.ts) on a store written before DILITHIUM3 meant round-3
 * Dilithium3: its DILITHIUM3 keys (32-byte ML-DSA-65 seeds) and DILITHIUM3-RS256 composites are
 * renamed to ML-DSA-65 / ML-DSA-65-RS256 with the same bytes, still open under the alg they were
 * sealed with, publish the AKP form, and sign signatures the FIPS 204 verifier accepts; the key
 * providers, the realm's default algorithm and its clients' attributes follow; each rename is a
 * key event. Before the migration the new code refuses such a key by name instead of reading the
 * seed as a round-3 key. On PGlite and PostgreSQL.
 */
import { expect } from 'vitest';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import type { SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { importRealm, parseRealm } from '../../src/realm/import.ts';
import { sealPrivateKey } from '../../src/store/encryption.ts';
import { listKeys } from '../../src/keys/repository.ts';
import { signerFor as signerWith } from '../../src/keys/signers.ts';
import type { KeyRecord } from '../../src/keys/repository.ts';
import type { StoredComponent } from '../../src/keys/component-model.ts';

const signerFor = (record: KeyRecord, kek: Buffer, components: Map<string, StoredComponent>) =>
  signerWith(record, { kek, components, byKid: () => undefined });
import { jwsAlgorithm } from '../../src/jose/algorithms.ts';
import { itOnEachStore } from '../helpers/each-store.ts';

const KEK = Buffer.alloc(32, 7);
const input = Buffer.from('eyJhbGciOiJNTC1EU0EtNjUifQ.eyJzdWIiOiJhIn0');

/** A key row as the former code wrote it: OQS JWK holding the ML-DSA-65 key, sealed under `alg`. */
async function insertFormerKey(
  db: SqlClient,
  realmId: string,
  kid: string,
  alg: string,
  material: Buffer,
  publicJwk: JWK,
): Promise<void> {
  await db.query(
    `INSERT INTO components (id, realm_id, name, provider_id, provider_type, parent_id, config) VALUES ($1, $2, $3, $4, 'org.keycloak.keys.KeyProvider', $2, $5)`,
    [
      kid,
      realmId,
      `${alg}-generated`,
      alg === 'DILITHIUM3' ? 'ml-dsa-generated' : 'composite-generated',
      JSON.stringify({ algorithm: [alg], priority: ['100'], active: ['true'], enabled: ['true'] }),
    ],
  );
  await db.query(
    `INSERT INTO keys (kid, realm_id, alg, provider_id, priority, status, private_key, component_id, public_jwk) VALUES ($1, $2, $3, $4, 100, 'ACTIVE', $5, $1, $6)`,
    [
      kid,
      realmId,
      alg,
      alg === 'DILITHIUM3' ? 'ml-dsa-generated' : 'composite-generated',
      sealPrivateKey(KEK, kid, alg, material),
      JSON.stringify(publicJwk),
    ],
  );
}

itOnEachStore(
  'migration 12',
  'renames the former DILITHIUM3 keys to what they are (ML-DSA-65), keeps them signing, and never reads them as round-3 keys',
  async (db) => {
    await importRealm(
      db,
      KEK,
      parseRealm(
        {
          realm: 'old',
          clients: [
            { clientId: 'app', attributes: { 'access.token.signed.response.alg': 'RS256' } },
          ],
        },
        'test',
      ),
    );
    const [{ id: realmId }] = await db.query<{ id: string }>(
      "SELECT id FROM realms WHERE name = 'old'",
    );
    // The store as the former code left it: a DILITHIUM3 seed, a DILITHIUM3-RS256 composite, the
    // realm's default and a client's access token alg DILITHIUM3.
    const seed = randomBytes(32);
    const mlDsaPub = Buffer.from(ml_dsa65.keygen(seed).publicKey);
    await insertFormerKey(db, realmId, 'pure', 'DILITHIUM3', seed, {
      kty: 'OQS',
      alg: 'DILITHIUM3',
      x: mlDsaPub.toString('base64url'),
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
    const compositeMaterial = Buffer.concat([seed, rsa.export({ format: 'der', type: 'pkcs8' })]);
    const rsaJwk = createPublicKey(rsa).export({ format: 'jwk' });
    await insertFormerKey(db, realmId, 'comp', 'DILITHIUM3-RS256', compositeMaterial, {
      kty: 'OQS',
      alg: 'DILITHIUM3-RS256',
      x: mlDsaPub.toString('base64url'),
      n: rsaJwk.n,
      e: rsaJwk.e,
    });
    // A Vault key under the former DILITHIUM3 (key type ml-dsa): no private key here, nothing sealed.
    await db.query(
      `INSERT INTO components (id, realm_id, name, provider_id, provider_type, parent_id, config) VALUES ('vault', $1, 'vault', 'vault-transit', 'org.keycloak.keys.KeyProvider', $1, '{"algorithm": ["DILITHIUM3"]}')`,
      [realmId],
    );
    await db.query(
      `INSERT INTO keys (kid, realm_id, alg, provider_id, priority, status, private_key, component_id, backend, backend_ref, public_jwk)
    VALUES ('vault-v1', $1, 'DILITHIUM3', 'vault-transit', 100, 'PASSIVE', NULL, 'vault', 'vault-transit', '{"mount": "oqs-transit", "keyName": "k", "version": 1}', $2)`,
      [
        realmId,
        JSON.stringify({ kty: 'OQS', alg: 'DILITHIUM3', x: mlDsaPub.toString('base64url') }),
      ],
    );
    await db.query(
      `UPDATE realms SET representation = jsonb_set(jsonb_set(representation, '{defaultSignatureAlgorithm}', '"DILITHIUM3"'),
    '{clients}', (SELECT jsonb_agg(CASE WHEN c->>'clientId' = 'app' THEN jsonb_set(c, '{attributes,access.token.signed.response.alg}', '"DILITHIUM3-RS256"') ELSE c END) FROM jsonb_array_elements(representation->'clients') c))
    WHERE id = $1`,
      [realmId],
    );
    // Migration 12 applied again to this store (the later ones stay recorded).
    await db.query('DELETE FROM schema_migrations WHERE version = 12');
    const [before] = await db.query<{ version: number }>(
      'SELECT version FROM realms WHERE id = $1',
      [realmId],
    );

    // Not reinterpreted: the new DILITHIUM3 refuses the 32-byte seed by name.
    const formerPure = (await listKeys(db, realmId)).find((k) => k.kid === 'pure')!;
    expect(() => signerFor(formerPure, KEK, new Map())).toThrow(
      /ML-DSA-65 seed kept under the former meaning of DILITHIUM3/,
    );

    expect(await migrate(db)).toBe(1);
    const keys = await listKeys(db, realmId);
    const pure = keys.find((k) => k.kid === 'pure')!;
    const comp = keys.find((k) => k.kid === 'comp')!;
    expect([pure.alg, comp.alg]).toEqual(['ML-DSA-65', 'ML-DSA-65-RS256']);
    expect(pure.backendRef).toEqual({ sealedAlg: 'DILITHIUM3' });
    expect(comp.backendRef).toEqual({ sealedAlg: 'DILITHIUM3-RS256' });
    expect(pure.publicJwk).toEqual({
      kty: 'AKP',
      alg: 'ML-DSA-65',
      pub: mlDsaPub.toString('base64url'),
    });
    // The SQL-built composite pub (x ‖ RSAPublicKey DER) is the one the registry derives.
    expect(comp.publicJwk).toEqual(
      jwsAlgorithm('ML-DSA-65-RS256').load(compositeMaterial).publicJwk,
    );

    const vault = keys.find((k) => k.kid === 'vault-v1')!;
    expect(vault).toMatchObject({
      alg: 'ML-DSA-65',
      backend: 'vault-transit',
      backendRef: { mount: 'oqs-transit', keyName: 'k', version: 1 },
      publicJwk: { kty: 'AKP', alg: 'ML-DSA-65', pub: mlDsaPub.toString('base64url') },
    });

    // Same keys, still signing: opened under the alg they were sealed with, verified by FIPS 204.
    const pureSigner = signerFor(pure, KEK, new Map());
    expect(pureSigner.publicJwk()).toMatchObject({
      kty: 'AKP',
      alg: 'ML-DSA-65',
      kid: 'pure',
      pub: mlDsaPub.toString('base64url'),
    });
    const signature = await pureSigner.sign(input);
    expect(signature).toHaveLength(3309);
    expect(ml_dsa65.verify(signature, input, mlDsaPub)).toBe(true);
    const compSigner = signerFor(comp, KEK, new Map());
    expect(
      await jwsAlgorithm('ML-DSA-65-RS256').verifier(comp.publicJwk!)(
        input,
        await compSigner.sign(input),
      ),
    ).toBeUndefined();
    expect(
      createPrivateKey({ key: compositeMaterial.subarray(32), format: 'der', type: 'pkcs8' })
        .asymmetricKeyDetails?.modulusLength,
    ).toBe(3072);

    const components = await db.query<{ id: string; alg: string }>(
      "SELECT id, config->'algorithm'->>0 AS alg FROM components WHERE realm_id = $1 AND id IN ('pure', 'comp', 'vault') ORDER BY id",
      [realmId],
    );
    expect(components).toEqual([
      { id: 'comp', alg: 'ML-DSA-65-RS256' },
      { id: 'pure', alg: 'ML-DSA-65' },
      { id: 'vault', alg: 'ML-DSA-65' },
    ]);
    const [after] = await db.query<{ alg: string; client: string; version: number }>(
      `SELECT representation->>'defaultSignatureAlgorithm' AS alg,
    (SELECT c->'attributes'->>'access.token.signed.response.alg' FROM jsonb_array_elements(representation->'clients') c WHERE c->>'clientId' = 'app') AS client, version FROM realms WHERE id = $1`,
      [realmId],
    );
    expect(after).toEqual({
      alg: 'ML-DSA-65',
      client: 'ML-DSA-65-RS256',
      version: before!.version + 1,
    });
    const events = await db.query<{ kid: string; alg: string; action: string; actor: string }>(
      "SELECT kid, alg, action, actor FROM key_events WHERE actor = 'migration 12' ORDER BY kid",
    );
    expect(events).toEqual([
      {
        kid: 'comp',
        alg: 'ML-DSA-65-RS256',
        action: 'renamed from DILITHIUM3-RS256 (the former meaning of DILITHIUM3 was ML-DSA-65)',
        actor: 'migration 12',
      },
      {
        kid: 'pure',
        alg: 'ML-DSA-65',
        action: 'renamed from DILITHIUM3 (the former meaning of DILITHIUM3 was ML-DSA-65)',
        actor: 'migration 12',
      },
      {
        kid: 'vault-v1',
        alg: 'ML-DSA-65',
        action: 'renamed from DILITHIUM3 (the former meaning of DILITHIUM3 was ML-DSA-65)',
        actor: 'migration 12',
      },
    ]);
  },
);
