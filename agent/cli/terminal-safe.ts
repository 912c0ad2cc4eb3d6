/**
 * Text from the platform reaches an admin's terminal: cluster display names, and
 * what agents report about themselves (version, peer names, endpoints). A
 * hostile agent credential or a careless name could carry terminal escape
 * sequences (clear the screen, rewrite earlier lines, set the window title, or
 * worse on some terminals). So everything the CLI prints goes through this.
 *
 * Control characters other than newline and tab become `\uXXXX`. That is
 * visible in plain text, and inside a JSON string it is the same character's
 * own escape, so `--json` output stays valid JSON with the same meaning.
 */
// C0 controls except \t and \n, DEL, and the C1 controls (0x9b is a one-byte CSI).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
