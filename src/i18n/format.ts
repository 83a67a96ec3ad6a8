/**
 * Java MessageFormat as Keycloak's themes use it (MessageFormatterMethod → java.text.MessageFormat):
 * `{0}`, `{1}`… are replaced by the arguments, `''` is one apostrophe, and text between single
 * apostrophes is literal (so `'{0}'` shows `{0}`). Choice and number sub-formats are not
 * supported: `{0,number}` is shown as its argument. A missing argument stays `{n}`, as in Java.
 */
export function formatMessage(pattern: string, args: readonly unknown[] = []): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        out += "'";
        i += 1;
      } else quoted = !quoted;
    } else if (c === '{' && !quoted) {
      const end = pattern.indexOf('}', i);
      const index =
        end < 0
          ? NaN
          : Number(
              pattern
                .slice(i + 1, end)
                .split(',')[0]
                .trim(),
            );
      if (!Number.isInteger(index) || index < 0) {
        out += c;
        continue;
      }
      out += index < args.length ? String(args[index]) : `{${index}}`;
      i = end;
    } else out += c;
  }
  return out;
}

/** The `{n}` indexes a pattern uses (outside quotes), sorted: for checking translations. */
export function placeholders(pattern: string): number[] {
  const found = new Set<number>();
  const unquoted = pattern.replace(/''/g, '').replace(/'[^']*'/g, '');
  for (const m of unquoted.matchAll(/\{(\d+)[^}]*\}/g)) found.add(Number(m[1]));
  return [...found].sort((a, b) => a - b);
}
