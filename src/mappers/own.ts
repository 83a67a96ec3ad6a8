/**
 * Own-property access for keys that come from realm data (claim names, client ids, attribute
 * names): `obj[key]` with key `__proto__` reads or replaces the object's prototype, and a nested
 * write through it would change Object.prototype for the whole process (every realm). These
 * read and define own properties only.
 */

/** `obj[key]` if it is an own property, else undefined. */
export function getOwn<T>(
  obj: Readonly<Record<string, T>> | undefined,
  key: string,
): T | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Defines `obj[key] = value` as an own, enumerable, writable property (also for `__proto__`). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: NoInfer<T>): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}
