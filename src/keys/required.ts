/**
 * The algorithms a realm cannot be without an ACTIVE key for: its default signature algorithm,
 * HS512 (refresh tokens), and every alg a client asks for by attribute.
 */
import type { RealmDocument } from '../model/representation.ts';

export const CLIENT_ALG_ATTRIBUTES = [
  'access.token.signed.response.alg',
  'id.token.signed.response.alg',
  'user.info.response.signature.alg',
  'introspection.signed.response.alg',
];

export function requiredAlgs(
  doc: Pick<RealmDocument, 'defaultSignatureAlgorithm' | 'clients'>,
): string[] {
  const algs = new Set([doc.defaultSignatureAlgorithm, 'HS512']);
  for (const client of doc.clients) {
    for (const attr of CLIENT_ALG_ATTRIBUTES)
      if (client.attributes?.[attr]) algs.add(client.attributes[attr]);
  }
  return [...algs];
}
