/**
 * The plain-text alternative of an HTML e-mail body: what a text-only reader
 * (and a spam filter comparing both parts) sees. Not a full HTML renderer:
 * block elements become line breaks, list items get a dash, a link keeps its
 * address beside its text, everything else is reduced to its text.
 */

/** A body is HTML when it has an element tag (MENSAGEM may be either). */
export function looksLikeHtml(text: string): boolean {
  return /<(?:[a-z][a-z0-9]*)(?:\s[^<>]*)?\/?>/i.test(text) && /<\/?[a-z][^<>]*>/i.test(text);
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  copy: "©",
  reg: "®",
  euro: "€",
  ndash: "–",
  mdash: "—",
  hellip: "…",
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code =
        name[1] === "x" || name[1] === "X"
          ? Number.parseInt(name.slice(2), 16)
          : Number(name.slice(1));
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

export function htmlToText(html: string): string {
  let text = html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(script|style|head|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, "")
    // Source line breaks are spaces in HTML; only the markup makes lines.
    .replace(/\s+/g, " ")
    .replace(
      /<a\b[^>]*?\bhref\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a\s*>/gi,
      (_, _q, href, inner) => {
        const label = inner.replace(/<[^>]*>/g, "").trim();
        const url = decodeEntities(href as string);
        return label && label !== url && !url.startsWith("#") ? `${label} (${url})` : label || url;
      },
    )
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(
      /<\/(p|div|h[1-6]|tr|table|ul|ol|blockquote|section|article|header|footer)\s*>/gi,
      "\n\n",
    )
    .replace(
      /<(p|div|h[1-6]|tr|table|ul|ol|blockquote|section|article|header|footer)\b[^>]*>/gi,
      "\n",
    )
    .replace(/<\/t[dh]\s*>/gi, "\t")
    .replace(/<[^>]*>/g, "");
  text = decodeEntities(text);
  return text
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
