/**
 * `GET /admin/realms/{realm}/keys` for a realm imported from a Keycloak 26.5.7 export: each RSA
 * key whose provider holds a certificate lists it, base64 DER, with `validTo` its notAfter in
 * epoch milliseconds (KeyResource.getKeyMetadata: setCertificate(PemUtils.encodeCertificate),
 * setValidTo(certificate.getNotAfter().getTime())); keys without one (HMAC, AES) list neither.
 * Expected values come from the export's own certificates.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import type KcAdminClient from '@keycloak/keycloak-admin-client';
import { FIXTURES, REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';

const FILE = path.join(FIXTURES, 'adaptive-authn-adaptive-kc26.5.7.json');
type Component = { providerId: string; config: Record<string, string[]> };
const exported = JSON.parse(readFileSync(FILE, 'utf8')) as {
  realm: string;
  components: Record<string, Component[]>;
};

let server: TestServer;
let kc: KcAdminClient;
beforeAll(async () => {
  server = await startServer({ realmFiles: [path.join(REPO, 'realms', 'master.json'), FILE] });
  kc = await masterAdmin(server.baseUrl);
}, 180_000);
afterAll(async () => {
  await server?.close();
});

it('keys list the certificate and validTo of the exported RSA keys, nothing for HMAC and AES', async () => {
  const { keys } = await kc.realms.getKeys({ realm: exported.realm });
  const components = await kc.components.find({
    realm: exported.realm,
    type: 'org.keycloak.keys.KeyProvider',
  });
  for (const source of exported.components['org.keycloak.keys.KeyProvider']) {
    const component = components.find((c) => c.providerId === source.providerId)!;
    const listed = keys!.filter((k) => k.providerId === component.id);
    expect(listed.length).toBeGreaterThan(0);
    for (const key of listed) {
      const pem = source.config.certificate?.[0];
      if (!pem) {
        expect({ certificate: key.certificate, validTo: key.validTo }).toEqual({
          certificate: undefined,
          validTo: undefined,
        });
        continue;
      }
      const cert = new X509Certificate(Buffer.from(pem, 'base64'));
      expect({ certificate: key.certificate, validTo: key.validTo }).toEqual({
        certificate: pem,
        validTo: new Date(cert.validTo).getTime(),
      });
    }
  }
});
