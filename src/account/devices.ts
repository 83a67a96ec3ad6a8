/**
 * The device of a session as the account API shows it (Keycloak's DeviceRepresentationProviderImpl
 * over uap-java): `browser` "Family/major.minor.patch", `os` family and `osVersion`, `device`
 * family ("Other" for a computer), `mobile` when the User-Agent says "mobile", `ipAddress`.
 * Without a recorded User-Agent: DeviceRepresentation.unknown() (os "Other", osVersion "Unknown",
 * browser "Other/Unknown", device "Other").
 *
 * The families are recognised from the common User-Agent tokens (Edge, Opera, Firefox,
 * Chromium-based, Safari; Windows, macOS, iOS, Android, Chrome OS, Linux); anything else is
 * "Other". This is a display label of the user's own sessions, never used for a decision.
 */
import type { SessionDevice } from '../store/sessions.ts';

export interface DeviceInfo {
  ipAddress?: string;
  os: string;
  osVersion: string;
  browser: string;
  device: string;
  mobile: boolean;
}

const UNKNOWN = 'Unknown';
const OTHER = 'Other';

// First match wins: Edge and Opera carry "Chrome/", Chrome carries "Safari/".
const BROWSERS: [string, RegExp][] = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/([\d.]+)/],
  ['Opera', /\bOPR\/([\d.]+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/([\d.]+)/],
  ['Chrome Headless', /\bHeadlessChrome\/([\d.]+)/],
  ['Chrome', /\b(?:Chrome|CriOS)\/([\d.]+)/],
  ['Safari', /\bVersion\/([\d.]+).*\bSafari\//],
];
const SYSTEMS: [string, RegExp][] = [
  ['Windows', /\bWindows NT ([\d.]+)/],
  ['iOS', /\b(?:iPhone|iPad|iPod).*? OS ([\d_]+)/],
  ['Mac OS X', /\bMac OS X ([\d_.]+)/],
  ['Android', /\bAndroid ([\d.]+)/],
  ['Chrome OS', /\bCrOS \S+ ([\d.]+)/],
  ['Linux', /\bLinux\b()/],
];

/** uap's version: up to major.minor.patch of the matched version. */
const version = (v: string | undefined) => {
  const parts = (v ?? '').replace(/_/g, '.').split('.').filter(Boolean).slice(0, 3);
  return parts.length ? parts.join('.') : UNKNOWN;
};

function match(table: [string, RegExp][], ua: string): [string, string] | undefined {
  for (const [family, re] of table) {
    const m = re.exec(ua);
    if (m) return [family, version(m[1])];
  }
  return undefined;
}

/** The DeviceRepresentation fields of a recorded device (or of none). */
export function describeDevice(recorded: SessionDevice | undefined): DeviceInfo {
  const ua = recorded?.userAgent;
  if (!ua)
    return {
      ipAddress: recorded?.ipAddress,
      os: OTHER,
      osVersion: UNKNOWN,
      browser: `${OTHER}/${UNKNOWN}`,
      device: OTHER,
      mobile: false,
    };
  const [browser, browserVersion] = match(BROWSERS, ua) ?? [OTHER, UNKNOWN];
  const [os, osVersion] = match(SYSTEMS, ua) ?? [OTHER, UNKNOWN];
  const device = /\biPhone\b/.test(ua) ? 'iPhone' : /\biPad\b/.test(ua) ? 'iPad' : OTHER;
  return {
    ipAddress: recorded?.ipAddress,
    os,
    osVersion: os === 'Linux' ? UNKNOWN : osVersion,
    browser: `${browser}/${browserVersion}`,
    device,
    mobile: ua.toLowerCase().includes('mobile'),
  };
}
