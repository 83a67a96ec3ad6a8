/**
 * oidc-sha256-pairwise-sub-mapper: `sub` = a pairwise subject, UUID.nameUUIDFromBytes(SHA-256(
 * sector identifier, user id, salt)): Keycloak SHA256PairwiseSubMapper / AbstractPairwiseSubMapper.
 * The sector identifier is the host of `sectorIdentifierUri`, else the single host of the
 * client's redirect URIs (PairwiseSubMapperUtils.resolveValidSectorIdentifier); the salt is
 * `pairwiseSubAlgorithmSalt` (Keycloak fails the request without one; here the mapper writes
 * nothing then, nor without a single sector host). Access token, id token, userinfo, always.
 */
import { createHash } from 'node:crypto';
import { PRIORITY, type MapperContext, type MapperType } from './mapper.ts';
import { hostOf, resolveRedirects } from './redirects.ts';
import { always } from './targets.ts';
import type { ProtocolMapperRep } from './types.ts';

/** java.util.UUID.nameUUIDFromBytes: MD5, version 3, IETF variant. */
export function nameUUIDFromBytes(bytes: Uint8Array): string {
  const md5 = createHash('md5').update(bytes).digest();
  md5[6] = (md5[6] & 0x0f) | 0x30;
  md5[8] = (md5[8] & 0x3f) | 0x80;
  const hex = md5.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The pairwise sub for a sector identifier, local sub (user id) and salt. */
export function pairwiseSub(sectorIdentifier: string, localSub: string, salt: string): string {
  const hash = createHash('sha256')
    .update(sectorIdentifier, 'utf8')
    .update(localSub, 'utf8')
    .update(salt, 'utf8')
    .digest();
  return nameUUIDFromBytes(hash);
}

function sectorIdentifier(mapper: ProtocolMapperRep, ctx: MapperContext): string | undefined {
  const uri = mapper.config.sectorIdentifierUri;
  if (uri) return hostOf(uri);
  const hosts = new Set(
    resolveRedirects(ctx.client.rootUrl, ctx.client.redirectUris ?? [], ctx.serverOrigin).map(
      hostOf,
    ),
  );
  return hosts.size === 1 ? [...hosts][0] : undefined;
}

export const pairwiseSubMapper: MapperType = {
  id: 'oidc-sha256-pairwise-sub-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: always(['access', 'id', 'userinfo']),
  apply(claims, mapper, ctx) {
    const salt = mapper.config.pairwiseSubAlgorithmSalt;
    const sector = sectorIdentifier(mapper, ctx);
    if (salt && sector) claims.sub = pairwiseSub(sector, ctx.user.id, salt);
  },
};
