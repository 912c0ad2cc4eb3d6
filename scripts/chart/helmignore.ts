/**
 * The part of .helmignore syntax this repository's chart uses: one pattern a line, "#" comments,
 * "*" and "?" wildcards, a trailing "/" for directories, a leading "/" anchoring at the chart root.
 * Anything else ("!" negation, "**", character classes) is refused rather than half-understood, so a
 * packaged chart never silently includes what helm package would leave out.
 */

export type IgnoreRule = (path: string, isDir: boolean) => boolean;

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (const ch of glob) {
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export function parseHelmignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("!") || line.includes("**") || /[[\]]/.test(line)) {
      throw new Error(`.helmignore line ${index + 1}: unsupported pattern ${JSON.stringify(line)}`);
    }
    const dirOnly = line.endsWith("/");
    const anchored = line.startsWith("/");
    const pattern = line.replace(/^\//, "").replace(/\/$/, "");
    const re = globToRegExp(pattern);
    // Like helm: a pattern with a "/" (or anchored) matches the whole relative path, else the base name.
    const wholePath = anchored || pattern.includes("/");
    rules.push((path, isDir) => {
      if (dirOnly && !isDir) return false;
      return re.test(wholePath ? path : (path.split("/").at(-1) ?? path));
    });
  }
  return rules;
}

export function isIgnored(rules: readonly IgnoreRule[], path: string, isDir: boolean): boolean {
  return rules.some((rule) => rule(path, isDir));
}
