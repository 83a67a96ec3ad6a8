import { describe, expect, it } from 'vitest';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from '../../src/model/password.ts';

describe('password credentials', () => {
  it("hashes with argon2id in Keycloak's stored form and verifies", async () => {
    const stored = await hashPassword('correct horse');
    expect(stored.credentialData).toMatchObject({
      algorithm: 'argon2',
      hashIterations: 5,
      additionalParameters: { type: ['id'], memory: ['7168'] },
    });
    expect(Buffer.from(stored.secretData.value, 'base64')).toHaveLength(32);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('wrong horse', stored)).toBe(false);
  });

  it('verifies pbkdf2-sha256 hashes exported by older Keycloak versions', async () => {
    const salt = randomBytes(16);
    const value = pbkdf2Sync('s3cret', salt, 27500, 64, 'sha256');
    const stored = {
      secretData: { value: value.toString('base64'), salt: salt.toString('base64') },
      credentialData: { hashIterations: 27500, algorithm: 'pbkdf2-sha256' },
    };
    expect(await verifyPassword('s3cret', stored)).toBe(true);
    expect(await verifyPassword('S3cret', stored)).toBe(false);
  });
});
