/**
 * Control characters (Unicode category Cc: C0, DEL and C1) in names and in text written to
 * reports. A file name may not hold one (a line break in a description forged a line of
 * `.resultado.txt`), and reports never write one as is: they show it as a visible escape.
 */

/** Matches one control character: U+0000–U+001F, U+007F, U+0080–U+009F. */
const CONTROL = /\p{Cc}/u;
const CONTROLS = /\p{Cc}/gu;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** How a control character is shown to a person: `\n`, `\r`, `\t`, else `U+0007`. */
export function showControl(char: string): string {
  return (
    NAMED[char] ?? `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`
  );
}

/** `text` with every control character replaced by its visible escape (one line, as read). */
export function escapeControls(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS, showControl) : text;
}

/** The first control character of `text` and its 1-based position (in characters), or null. */
export function firstControl(text: string): { char: string; position: number } | null {
  const match = CONTROL.exec(text);
  if (match === null) return null;
  return { char: match[0], position: [...text.slice(0, match.index)].length + 1 };
}
