import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/config.ts';
import { ENV_VARS } from '../../src/config-vars.ts';
import { configurationTable } from '../../scripts/docs.ts';

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'qsign-config-'));
const KEK = Buffer.alloc(32, 1).toString('base64');

describe('configuration', () => {
  it('accepts Keycloak 26 option names', () => {
    const config = loadConfig({
      DATA_DIR: dataDir(),
      KC_HTTP_PORT: '9090',
      KC_HOSTNAME: 'https://sso.example.com',
      KC_DB_URL: 'jdbc:postgresql://db:5432/keycloak',
      KC_DB_USERNAME: 'kc',
      KC_DB_PASSWORD: 'p@ss',
      KC_BOOTSTRAP_ADMIN_USERNAME: 'root',
      KC_BOOTSTRAP_ADMIN_PASSWORD: 'S3cure!',
      KEY_ENCRYPTION_KEY: KEK,
    });
    expect(config.port).toBe(9090);
    expect(config.baseUrl).toBe('https://sso.example.com');
    expect(config.databaseUrl).toBe('postgres://kc:p%40ss@db:5432/keycloak');
    expect(config.adminUsername).toBe('root');
  });

  it('reads the proxy and pool options under their Keycloak names, with safe defaults', () => {
    const kc = loadConfig({
      DATA_DIR: dataDir(),
      KC_PROXY_HEADERS: 'xforwarded',
      KC_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8, 192.0.2.1,::1',
      KC_DB_POOL_MAX_SIZE: '25',
    });
    expect([kc.proxyHeaders, kc.proxyTrustedAddresses, kc.dbPoolMaxSize]).toEqual([
      'xforwarded',
      ['10.0.0.0/8', '192.0.2.1', '::1'],
      25,
    ]);
    const plain = loadConfig({ DATA_DIR: dataDir() });
    expect([plain.proxyHeaders, plain.proxyTrustedAddresses, plain.dbPoolMaxSize]).toEqual([
      undefined,
      [],
      10,
    ]);
    expect(() => loadConfig({ DATA_DIR: dataDir(), DB_POOL_MAX_SIZE: '0' })).toThrow(
      /DB_POOL_MAX_SIZE/,
    );
  });

  it('development mode generates and keeps a key-encryption key in DATA_DIR', () => {
    const dir = dataDir();
    const a = loadConfig({ DATA_DIR: dir });
    const b = loadConfig({ DATA_DIR: dir });
    expect(a.devKeyEncryptionKey).toBe(true);
    expect(a.keyEncryptionKey.equals(b.keyEncryptionKey)).toBe(true);
    expect(a.baseUrl).toBe('http://localhost:8080');
  });

  it('production mode refuses development defaults, naming each variable', () => {
    expect(() => loadConfig({ QSIGN_MODE: 'production', DATA_DIR: dataDir() })).toThrow(
      ConfigError,
    );
    const attempt = () =>
      loadConfig({
        NODE_ENV: 'production',
        DATA_DIR: dataDir(),
        KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin',
      });
    expect(attempt).toThrow(/KEY_ENCRYPTION_KEY: required in production mode/);
    expect(attempt).toThrow(/KC_BOOTSTRAP_ADMIN_PASSWORD: the development default is refused/);
    expect(attempt).toThrow(/PUBLIC_BASE_URL \/ KC_HOSTNAME: required in production mode/);
  });

  it('rejects malformed values with the variable name and never echoes a secret', () => {
    try {
      loadConfig({
        DATA_DIR: dataDir(),
        PORT: 'eighty',
        KEY_ENCRYPTION_KEY: 'short-secret-value',
        DATABASE_URL: 'mysql://x',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('PORT / KC_HTTP_PORT');
      expect(message).toContain('KEY_ENCRYPTION_KEY: must be 32 bytes');
      expect(message).toContain('DATABASE_URL / KC_DB_URL');
      expect(message).not.toContain('short-secret-value');
    }
  });

  it('an empty variable counts as unset: the next name or the default applies', () => {
    const config = loadConfig({
      DATA_DIR: dataDir(),
      PORT: '',
      KC_HTTP_PORT: '9091',
      LOG_LEVEL: '',
      HOST: '',
    });
    expect([config.port, config.logLevel, config.host]).toEqual([9091, 'info', '0.0.0.0']);
  });

  it('the configuration table in the docs has a row for every name the loader reads first', () => {
    const table = configurationTable();
    for (const v of Object.values(ENV_VARS)) expect(table).toContain(`| \`${v.names[0]}\` |`);
    expect(table).toContain('| `KEY_BACKENDS_FILE` |');
  });
});
