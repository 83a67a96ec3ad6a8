/**
 * The key providers as serverinfo's `componentTypes["org.keycloak.keys.KeyProvider"]` lists them
 * (Keycloak ServerInfoAdminResource: one ComponentTypeRepresentation per KeyProviderFactory, its
 * `getConfigProperties()`), which the Admin Console's Realm settings → Keys → Add provider offers
 * and renders as a form. Keycloak's own providers keep Keycloak's property names, labels and
 * defaults (keys/Attributes.java: priority, enabled, active, algorithm, keySize, privateKey,
 * certificate, ecdsaEllipticCurveKey, eddsaEllipticCurveKey, secretSize); ours (ml-dsa-generated,
 * composite-generated, vault-transit, pkcs11, composite) take the fields their modules in
 * keys/providers/ validate. The rotation policy is its own component type (qsign.keys.RotationPolicy).
 */
import { allAlgorithms } from '../jose/algorithms.ts';
import { KEY_PROVIDER_IDS } from '../keys/providers.ts';
import { keyProvider } from '../keys/providers/registry.ts';
import { RSA_KEY_SIZES } from '../keys/providers/rsa-generated.ts';
import { ROTATION_POLICY_TYPE } from '../keys/component-model.ts';

/** Keycloak's ConfigPropertyRepresentation. */
export interface ConfigProperty {
  name: string;
  label: string;
  helpText: string;
  type: 'String' | 'boolean' | 'List' | 'MultivaluedList' | 'File' | 'Password' | 'Text';
  defaultValue?: string;
  options?: string[];
  secret: boolean;
  required?: boolean;
  readOnly: boolean;
}

/** Keycloak's ComponentTypeRepresentation. */
export interface ComponentType {
  id: string;
  helpText: string;
  properties: ConfigProperty[];
  metadata: Record<string, unknown>;
}

const prop = (
  name: string,
  label: string,
  helpText: string,
  type: ConfigProperty['type'],
  extra: Partial<ConfigProperty> = {},
): ConfigProperty => ({ name, label, helpText, type, secret: false, readOnly: false, ...extra });

const COMMON = [
  prop('priority', 'Priority', 'Priority for the provider', 'String', { defaultValue: '0' }),
  prop('enabled', 'Enabled', 'Set if the keys are enabled', 'boolean', { defaultValue: 'true' }),
  prop('active', 'Active', 'Set if the keys can be used for signing', 'boolean', {
    defaultValue: 'true',
  }),
];

const ENC_ALGS = ['RSA-OAEP', 'RSA-OAEP-256', 'RSA1_5'];

function algorithmProperty(id: string): ConfigProperty {
  const factory = keyProvider(id);
  const options =
    factory.use === 'enc'
      ? ENC_ALGS.filter((a) => factory.algorithms.test(a))
      : allAlgorithms()
          .map((a) => a.alg)
          .filter((a) => factory.algorithms.test(a));
  return prop('algorithm', 'Algorithm', 'Intended algorithm for the key', 'List', {
    defaultValue: factory.fallbackAlg,
    options,
  });
}

const keySize = prop('keySize', 'Key size', 'Size for the generated keys', 'List', {
  defaultValue: '2048',
  options: RSA_KEY_SIZES,
});
const privateKey = prop(
  'privateKey',
  'Private RSA Key',
  'Private RSA Key encoded in PEM format',
  'File',
  {
    secret: true,
    required: true,
  },
);
const certificate = prop(
  'certificate',
  'X509 Certificate',
  'X509 Certificate encoded in PEM format',
  'File',
);
const backend = prop(
  'backend',
  'Back end',
  'Name of a signing back end the server operator declared (KEY_BACKENDS); its address and credentials stay with the operator',
  'String',
  { required: true },
);

/** Each provider's own properties after COMMON and `algorithm` (none for most). */
const OWN: Record<string, { helpText: string; properties: ConfigProperty[] }> = {
  'rsa-generated': {
    helpText: 'Generates RSA keys and creates a self-signed certificate',
    properties: [keySize],
  },
  rsa: {
    helpText: 'RSA key provider that can optionally generated a self-signed certificate',
    properties: [privateKey, certificate],
  },
  'ecdsa-generated': {
    helpText: 'Generates ECDSA keys',
    properties: [
      prop('ecdsaEllipticCurveKey', 'Elliptic Curve', 'Elliptic Curve used in ECDSA', 'List', {
        defaultValue: 'P-256',
        options: ['P-256', 'P-384', 'P-521'],
      }),
    ],
  },
  'eddsa-generated': {
    helpText: 'Generates EdDSA keys',
    properties: [
      prop('eddsaEllipticCurveKey', 'Elliptic Curve', 'Elliptic Curve used in EdDSA', 'List', {
        defaultValue: 'Ed25519',
        options: ['Ed25519'],
      }),
    ],
  },
  'hmac-generated': { helpText: 'Generates HMAC secret key', properties: [] },
  'rsa-enc-generated': { helpText: 'Generates RSA keys for key encryption', properties: [keySize] },
  'rsa-enc': { helpText: 'RSA for key encryption provider', properties: [privateKey, certificate] },
  'aes-generated': {
    helpText: 'Generates AES secret key',
    properties: [
      prop('secretSize', 'Secret size', 'Size in bytes for the generated AES key', 'List', {
        defaultValue: '16',
        options: ['16', '24', '32'],
      }),
    ],
  },
  'ml-dsa-generated': {
    helpText:
      'Generates ML-DSA (FIPS 204) keys: ML-DSA-44, ML-DSA-65, ML-DSA-87, or round-3 DILITHIUM3',
    properties: [],
  },
  'composite-generated': {
    helpText:
      'Generates a composite key: ML-DSA-65 with RSA-3072 or ECDSA P-256 (draft-ietf-lamps-pq-composite-sigs)',
    properties: [],
  },
  'vault-transit': {
    helpText:
      'Signs with the versions of a transit key in a HashiCorp Vault back end the operator declared',
    properties: [
      backend,
      prop('keyName', 'Key name', 'Name of the transit key', 'String', { required: true }),
    ],
  },
  pkcs11: {
    helpText: 'Signs with a key on a PKCS#11 token (HSM) back end the operator declared',
    properties: [
      backend,
      prop('keyId', 'Key id', "The key's CKA_ID, in hex", 'String', { required: true }),
      prop(
        'wrappedSeed',
        'Wrapped seed',
        'Seed-wrapped ML-DSA only: the seed encrypted by the token AES key, base64',
        'Text',
      ),
    ],
  },
  composite: {
    helpText:
      'A composite key made of two keys of the realm: an ML-DSA-65 kid and a traditional kid, never published before',
    properties: [
      prop('members', 'Members', 'The ML-DSA kid, then the traditional kid', 'MultivaluedList', {
        required: true,
      }),
    ],
  },
};

/** `componentTypes["org.keycloak.keys.KeyProvider"]`: every key provider of KEY_PROVIDER_IDS. */
export function keyProviderTypes(): ComponentType[] {
  return KEY_PROVIDER_IDS.map((id) => ({
    id,
    helpText: OWN[id]?.helpText ?? id,
    properties: [...COMMON, algorithmProperty(id), ...(OWN[id]?.properties ?? [])],
    metadata: {},
  }));
}

/** `componentTypes["qsign.keys.RotationPolicy"]`: the scheduled rotation (keys/providers/rotation-policy.ts). */
export function rotationPolicyTypes(): ComponentType[] {
  const seconds = (name: string, label: string, helpText: string) =>
    prop(name, label, `${helpText} (seconds)`, 'String');
  return [
    {
      id: 'scheduled-rotation',
      helpText:
        'Replaces the signing key of an algorithm on a schedule, publishing the new key first',
      properties: [
        prop('algorithm', 'Algorithm', 'The algorithm whose key is rotated', 'List', {
          defaultValue: 'ML-DSA-65',
          options: allAlgorithms().map((a) => a.alg),
        }),
        seconds('rotationPeriod', 'Rotation period', 'Age at which the signing key is replaced'),
        seconds(
          'prePublication',
          'Pre-publication',
          'How long a new key is published before it signs',
        ),
        seconds('retireAfter', 'Retire after', 'How long a replaced key keeps verifying'),
      ],
      metadata: {},
    },
  ];
}

export { ROTATION_POLICY_TYPE };
