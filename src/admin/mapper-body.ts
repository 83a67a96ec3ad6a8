/**
 * A ProtocolMapperRepresentation request body, as Keycloak's RepresentationToModel.toModel
 * reads it, for protocol-mappers.ts and for the mappers a new client scope carries.
 */
import { z } from 'zod';
import { formatPath } from '../realm/import.ts';
import { badRequest } from './errors.ts';
import type { ProtocolMapperFields } from './realm-client-scopes.ts';

const configValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const mapperBody = z.looseObject({
  id: z.string().nullable().optional(),
  name: z.string().min(1),
  protocol: z.string().nullable().optional(),
  protocolMapper: z.string().min(1),
  config: z.record(z.string(), configValue.nullable()).nullable().optional(),
});

/**
 * A ProtocolMapperRepresentation body (RepresentationToModel.toModel): name and protocolMapper
 * required, config values kept as strings (null entries dropped), the protocol defaulting to
 * the container's. The id is the caller's to set. @throws AdminError 400
 */
export function parseMapper(body: unknown, protocol: string): ProtocolMapperFields {
  const parsed = mapperBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(
      `${formatPath(issue.path) || 'protocolMapper'}: ${issue.message}`,
      formatPath(issue.path),
    );
  }
  const { id: _id, config, ...rest } = parsed.data;
  const kept = Object.fromEntries(
    Object.entries(config ?? {}).filter((e): e is [string, string] => e[1] !== null),
  );
  return { ...rest, protocol: parsed.data.protocol ?? protocol, config: kept };
}
