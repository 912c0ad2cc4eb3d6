/** `--expires-in` values: a whole number and a unit, `90s`, `45m`, `12h`, `30d`, `2w`. */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds, or null when the text is not a positive duration. */
export function parseDurationSeconds(text: string): number | null {
  const m = /^(\d{1,9})([smhdw])$/.exec(text.trim());
  if (m === null) return null;
  const seconds = Number(m[1]) * (UNITS[m[2] ?? ""] ?? 0);
  return seconds > 0 ? seconds : null;
}
