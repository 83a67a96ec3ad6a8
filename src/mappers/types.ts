/**
 * Shapes shared by the protocol mapper pipeline: Keycloak's ProtocolMapperRepresentation and
 * ClientScopeRepresentation (org.keycloak.representations.idm), the token targets a mapper can
 * write to, and the per-token context a mapper reads. Config values are strings in Keycloak;
 * exports sometimes carry booleans or numbers, which are kept as their string form.
 */
import { z } from 'zod';
import type { ClientRepresentation, UserRepresentation } from '../model/representation.ts';

/**
 * The token a pipeline run builds. `lightweight` is the access token of a client with
 * `client.use.lightweight.access.token.enabled` (Keycloak AbstractOIDCProtocolMapper
 * .getShouldUseLightweightToken): mappers then honour `lightweight.claim` instead of
 * `access.token.claim`.
 */
export type TokenTarget = 'access' | 'lightweight' | 'id' | 'userinfo' | 'introspection';

const configValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const protocolMapperSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().default(''),
  protocol: z.string().default('openid-connect'),
  protocolMapper: z.string().min(1),
  consentRequired: z.boolean().optional(),
  config: z
    .record(z.string(), configValue.nullable())
    .default({})
    .transform((c) =>
      Object.fromEntries(Object.entries(c).filter((e): e is [string, string] => e[1] !== null)),
    ),
});
/**
 * Keycloak ProtocolMapperRepresentation; `claimPath` is `claim.name` split once by the plan
 * (plan.ts), not part of Keycloak's representation.
 */
export type ProtocolMapperRep = z.infer<typeof protocolMapperSchema> & {
  claimPath?: readonly string[];
};

export const clientScopeSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  protocol: z.string().default('openid-connect'),
  attributes: z.record(z.string(), configValue).default({}),
  protocolMappers: z.array(z.unknown()).default([]),
});
/** Keycloak ClientScopeRepresentation; `protocolMappers` parsed separately (bad ones reported). */
export interface ClientScopeRep {
  id?: string;
  name: string;
  description?: string;
  protocol: string;
  attributes: Record<string, string>;
  protocolMappers: ProtocolMapperRep[];
  [key: string]: unknown;
}

/** A user as the mappers see it: Keycloak's UserRepresentation with its id. */
export type MapperUser = UserRepresentation & { id: string; federationLink?: string };

/** What the mappers read from the login: user session notes, the achieved acr, request parameters. */
export interface MapperSession {
  /**
   * User session notes (Keycloak UserSessionModel.getNote): e.g. `AUTH_TIME` (seconds, as a
   * string), and for service accounts `client_id`, `clientId`, `clientHost`, `clientAddress`.
   */
  notes: Readonly<Record<string, string>>;
  /** Achieved authentication context: "1" fresh login, "0" SSO re-use (AcrProtocolMapper.getAcr). */
  acr: string;
  /** The raw OIDC `claims` request parameter (JSON text), for oidc-claims-param-token-mapper. */
  claimsParam?: string;
  /** Session id (`sid`), nonce: set by the caller into the base claims. */
  sid?: string;
  nonce?: string;
  /** A session-less token (client_credentials): Keycloak sets `sub` in initToken then. */
  transient?: boolean;
}

/** Claims under construction: a plain JSON object. */
export type Claims = Record<string, unknown>;

/** The client as a mapper sees it. */
export type MapperClient = ClientRepresentation;
