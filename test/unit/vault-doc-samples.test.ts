/**
 * The Vault client against the response samples of the Vault documentation, served verbatim by a
 * stub (sources: Vault docs "Transit secrets engine (API)" v1.19/1.20 — Read key, Sign data;
 * "AppRole auth method (API)" — Login with AppRole; "Token auth method (API)" — Renew a token (self)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { VaultClient } from '../../src/signer/vault/client.ts';

const SAMPLES: Record<string, unknown> = {
  'GET /v1/transit/keys/foo': {
    data: {
      type: 'aes256-gcm96',
      deletion_allowed: false,
      derived: false,
      exportable: false,
      allow_plaintext_backup: false,
      keys: { 1: 1442851412 },
      min_decryption_version: 1,
      min_encryption_version: 0,
      name: 'foo',
      supports_encryption: true,
      supports_decryption: true,
      supports_derivation: true,
      supports_signing: false,
      imported: false,
    },
  },
  'POST /v1/transit/sign/my-key': {
    data: {
      signature:
        'vault:v1:MEUCIQCyb869d7KWuA0hBM9b5NJrmWzMW3/pT+0XYCM9VmGR+QIgWWF6ufi4OS2xo1eS2V5IeJQfsi59qeMWtgX0LipxEHI=',
    },
  },
  'POST /v1/auth/approle/login': {
    auth: {
      renewable: true,
      lease_duration: 1200,
      metadata: null,
      token_policies: ['default'],
      accessor: 'fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374',
      client_token: '5b1a0318-679c-9c45-e5c6-d1b9a9035d49',
    },
    warnings: null,
    wrap_info: null,
    data: null,
    lease_duration: 0,
    renewable: false,
    lease_id: '',
  },
  'POST /v1/auth/token/renew-self': {
    auth: {
      client_token: 'ABCD',
      policies: ['web', 'stage'],
      metadata: { user: 'armon' },
      lease_duration: 3600,
      renewable: true,
    },
  },
};

let stub: http.Server;
let url = '';
const seen: { route: string; token?: string }[] = [];

beforeAll(async () => {
  stub = http.createServer((req, res) => {
    const route = `${req.method} ${req.url}`;
    seen.push({ route, token: req.headers['x-vault-token'] as string | undefined });
    res.setHeader('content-type', 'application/json');
    if (SAMPLES[route]) res.end(JSON.stringify(SAMPLES[route]));
    else {
      res.statusCode = 404;
      res.end('{"errors":[]}');
    }
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
});
afterAll(() => {
  stub.close();
});

describe('Vault client and the documented samples', () => {
  it('reads the documented key sample (a symmetric key: no public keys, so it cannot sign)', async () => {
    const client = new VaultClient({ address: url, auth: { method: 'token', token: 't' } });
    const key = await client.readKey('transit', 'foo');
    expect(key).toMatchObject({ type: 'aes256-gcm96', minDecryptionVersion: 1 });
    expect(key.publicKeys.size).toBe(0);
    await client.close();
  });

  it('decodes the documented signature sample (ECDSA, ASN.1 DER in standard base64)', async () => {
    const client = new VaultClient({ address: url, auth: { method: 'token', token: 't' } });
    const signature = await client.sign('transit', 'my-key', Buffer.from('adios'), {
      hash_algorithm: 'sha2-256',
    });
    expect(signature[0]).toBe(0x30);
    expect(signature).toHaveLength(71);
    await client.close();
  });

  it('logs in with the documented AppRole response and uses auth.client_token, not the top-level lease', async () => {
    const client = new VaultClient({
      address: url,
      auth: { method: 'approle', roleId: 'r', secretId: 's' },
    });
    await client.sign('transit', 'my-key', Buffer.from('x'), {});
    expect(seen.at(-1)).toEqual({
      route: 'POST /v1/transit/sign/my-key',
      token: '5b1a0318-679c-9c45-e5c6-d1b9a9035d49',
    });
    await client.close();
  });
});
