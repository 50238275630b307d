/**
 * A DKIM verifier for the tests (RFC 6376, rsa-sha256, relaxed or simple
 * canonicalization), written from the RFC and independent of the signer
 * under test: it recomputes the body hash and checks the signature over the
 * signed headers with the public key a receiver would find in DNS.
 */
import { createHash, type KeyObject, verify } from "node:crypto";

function splitMessage(raw: string): { headers: string[]; body: string } {
  const text = raw.replace(/\r?\n/g, "\r\n");
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? "" : text.slice(end + 4);
  // Header fields with their folded continuation lines.
  const headers: string[] = [];
  for (const line of head.split("\r\n")) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1] += `\r\n${line}`;
    else headers.push(line);
  }
  return { headers, body };
}

function relaxedHeader(field: string): string {
  const colon = field.indexOf(":");
  const name = field.slice(0, colon).trim().toLowerCase();
  const value = field
    .slice(colon + 1)
    .replace(/\r\n/g, "")
    .replace(/[ \t]+/g, " ")
    .trim();
  return `${name}:${value}`;
}

function relaxedBody(body: string): string {
  const lines = body.split("\r\n").map((l) => l.replace(/[ \t]+/g, " ").replace(/ $/, ""));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.length === 0 ? "" : `${lines.join("\r\n")}\r\n`;
}

function simpleBody(body: string): string {
  let b = body;
  while (b.endsWith("\r\n\r\n")) b = b.slice(0, -2);
  if (!b.endsWith("\r\n")) b += "\r\n";
  return b;
}

export interface DkimResult {
  ok: boolean;
  domain: string;
  selector: string;
  signedHeaders: string[];
  problem: string | null;
}

export function verifyDkim(raw: string, publicKey: KeyObject): DkimResult {
  const { headers, body } = splitMessage(raw);
  const sigField = headers.find((h) => /^dkim-signature\s*:/i.test(h));
  const none = { domain: "", selector: "", signedHeaders: [] };
  if (!sigField) return { ok: false, ...none, problem: "no DKIM-Signature" };
  const tags = new Map<string, string>();
  for (const part of sigField.slice(sigField.indexOf(":") + 1).split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    tags.set(part.slice(0, eq).trim(), part.slice(eq + 1).replace(/\s+/g, ""));
  }
  const [headerCanon, bodyCanon = "simple"] = (tags.get("c") ?? "simple/simple").split("/");
  const signedHeaders = (tags.get("h") ?? "").split(":").map((h) => h.trim().toLowerCase());
  const base = {
    domain: tags.get("d") ?? "",
    selector: tags.get("s") ?? "",
    signedHeaders,
  };
  if (tags.get("a") !== "rsa-sha256") return { ok: false, ...base, problem: "not rsa-sha256" };
  const canonicalBody = bodyCanon === "relaxed" ? relaxedBody(body) : simpleBody(body);
  const bh = createHash("sha256").update(canonicalBody, "utf8").digest("base64");
  if (bh !== tags.get("bh")) return { ok: false, ...base, problem: "body hash differs" };
  const canon = (f: string) => (headerCanon === "relaxed" ? relaxedHeader(f) : f);
  // Each listed name takes the last unused instance of that header, bottom up.
  const used = new Set<number>();
  const lines: string[] = [];
  for (const name of signedHeaders) {
    for (let i = headers.length - 1; i >= 0; i--) {
      const h = headers[i] as string;
      if (used.has(i) || h.slice(0, h.indexOf(":")).trim().toLowerCase() !== name) continue;
      used.add(i);
      lines.push(`${canon(h)}\r\n`);
      break;
    }
  }
  const withoutB = sigField.replace(/(\bb=)[^;]*/, "$1");
  const data = lines.join("") + canon(withoutB);
  const signature = Buffer.from(tags.get("b") ?? "", "base64");
  const ok = verify("sha256", Buffer.from(data, "utf8"), publicKey, signature);
  return { ok, ...base, problem: ok ? null : "signature does not verify" };
}
