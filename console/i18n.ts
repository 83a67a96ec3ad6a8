/**
 * The consoles' translations, as Keycloak's admin-ui sets them up (js/apps/admin-ui/src/i18n/i18n.ts):
 * i18next with the messages fetched from the server at `resources/{realm}/{admin|account}/{lng}`,
 * a JSON array of `{key, value}` (Keycloak's ThemeResource / messages endpoint), keys split on ".".
 */
import i18n from 'i18next';
import FetchBackend from 'i18next-fetch-backend';
import { initReactI18next } from 'react-i18next';

type KeyValue = { key: string; value: string };

/** Initialises the global i18next instance the console libraries' useTranslation() read. */
export async function initI18n(serverBaseUrl: string, realm: string, type: 'admin' | 'account') {
  await i18n
    .use(FetchBackend)
    .use(initReactI18next)
    .init({
      fallbackLng: 'en',
      keySeparator: '.',
      nsSeparator: false,
      interpolation: { escapeValue: false },
      backend: {
        loadPath: `${serverBaseUrl.replace(/\/$/, '')}/resources/${encodeURIComponent(realm)}/${type}/{{lng}}`,
        parse: (data: string) =>
          Object.fromEntries(
            (JSON.parse(data) as KeyValue[]).map(({ key, value }) => [key, value]),
          ),
      },
    });
}
