/**
 * A key provider's settings from its component config: the config fields every provider has
 * (Keycloak's `priority`, `enabled`, `active`, `algorithm`; state DISABLED unless enabled, else
 * ACTIVE or PASSIVE, Keycloak's rule), then the provider's own schema and checks. Also the zod
 * helpers the provider schemas are written with. Pure, no I/O.
 */
import { z } from 'zod';
import { isSupportedAlg } from '../../jose/algorithms.ts';
import {
  ComponentError,
  first,
  toConfig,
  type ComponentConfig,
  type KeyProviderSettings,
} from '../component-model.ts';
import type { KeyProviderFactory } from './types.ts';

/**
 * A config field of at most one value that must pass `test` (Keycloak config values are string
 * arrays); `message` says why a value is refused.
 */
export const single = (test: (value: string) => boolean, message: (value: string) => string) =>
  z
    .array(z.string())
    .optional()
    .superRefine((list, ctx) => {
      const value = list?.[0];
      if (value !== undefined && !test(value))
        ctx.addIssue({ code: 'custom', message: message(value) });
    });

/** A required single value. */
export const required = (message: string) =>
  z.array(z.string(), { error: message }).refine((list) => Boolean(list[0]), message);

const bool = (key: string) =>
  single(
    (v) => v === 'true' || v === 'false',
    (v) => `config.${key} must be "true" or "false", got "${v}"`,
  );

/** The fields every key provider has. */
export const commonSchema = z.looseObject({
  priority: single(
    (v) => /^-?\d+$/.test(v),
    (v) => `config.priority must be an integer, got "${v}"`,
  ),
  enabled: bool('enabled'),
  active: bool('active'),
  algorithm: z.array(z.string()).optional(),
});

/** Runs a zod schema over the config. @throws ComponentError naming the first offending field. */
export function check(schema: z.ZodType, config: ComponentConfig): void {
  const parsed = schema.safeParse(config);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const field = issue.path.length ? String(issue.path[0]) : undefined;
  throw new ComponentError(issue.message, field);
}

/**
 * Validates a key provider's config.
 * @returns the alg, priority, state and the config as it is stored (`algorithm` and `priority` filled in).
 * @throws ComponentError naming the field.
 */
export function providerSettings(
  provider: KeyProviderFactory,
  rawConfig: Record<string, unknown> | undefined,
): KeyProviderSettings {
  const config = toConfig(rawConfig);
  provider.validate?.(config);
  check(commonSchema, config);
  check(provider.schema, config);
  const alg = first(config, 'algorithm') ?? provider.impliedAlg?.(config) ?? provider.fallbackAlg;
  // An encryption provider's algs (RSA-OAEP, AES) are JWE's, never the JWS registry's: they cannot sign.
  if (!provider.algorithms.test(alg) || (provider.use !== 'enc' && !isSupportedAlg(alg)))
    throw new ComponentError(
      `config.algorithm "${alg}" is not an algorithm of provider ${provider.id}`,
      'algorithm',
    );
  const priorityText = first(config, 'priority') ?? '0';
  const enabled = first(config, 'enabled') !== 'false';
  const active = first(config, 'active') !== 'false';
  return {
    alg,
    priority: Number(priorityText),
    status: !enabled ? 'DISABLED' : active ? 'ACTIVE' : 'PASSIVE',
    config: { ...config, algorithm: [alg], priority: [priorityText] },
  };
}
