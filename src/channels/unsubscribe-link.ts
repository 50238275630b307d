/**
 * The one-click unsubscribe link of e-mail campaigns (RFC 8058): every
 * message carries `List-Unsubscribe: <BASE/u/TOKEN>` and
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`; a POST to that URL
 * puts the address on the wallet's restriction list (src/api/routes/
 * unsubscribe.ts).
 *
 * The token names the tenant, the wallet and the address, and carries an
 * HMAC-SHA256 of them under a key derived (HKDF) from the secret key of the
 * installation: verifying it needs no database row, and nobody can make a
 * link for another address without that key. Links stay valid as long as the
 * secret key does (a person may click an old message's link months later).
 *
 * Format: `<tenant>.<wallet>.<base64url(address)>.<base64url(mac[0..16])>`.
 * 128 bits of MAC are plenty against forgery and keep the URL short.
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { secretKey } from "../store/secrets.js";

export interface UnsubscribeSubject {
  tenantId: number;
  walletId: number;
  /** The address exactly as the message went to it (the restriction list's value). */
  address: string;
}

const MAC_BYTES = 16;
const TOKEN = /^([1-9]\d{0,15})\.([1-9]\d{0,15})\.([A-Za-z0-9_-]{1,700})\.([A-Za-z0-9_-]{22})$/;

/** The link key: its own key, so a token never doubles as anything else signed with the secret key. */
export function unsubscribeKey(key: Buffer = secretKey()): Buffer {
  return Buffer.from(hkdfSync("sha256", key, "remessa", "unsubscribe-link v1", 32));
}

function mac(linkKey: Buffer, s: UnsubscribeSubject): Buffer {
  return createHmac("sha256", linkKey)
    .update(`${s.tenantId}\n${s.walletId}\n${s.address}`, "utf8")
    .digest()
    .subarray(0, MAC_BYTES);
}

export function signUnsubscribeToken(linkKey: Buffer, s: UnsubscribeSubject): string {
  const address = Buffer.from(s.address, "utf8").toString("base64url");
  return `${s.tenantId}.${s.walletId}.${address}.${mac(linkKey, s).toString("base64url")}`;
}

/** The subject of a genuine token, or null (malformed, tampered with, or signed with another key). */
export function verifyUnsubscribeToken(linkKey: Buffer, token: string): UnsubscribeSubject | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const subject: UnsubscribeSubject = {
    tenantId: Number(m[1]),
    walletId: Number(m[2]),
    address: Buffer.from(m[3] as string, "base64url").toString("utf8"),
  };
  // A re-encoding check: base64url accepts stray bits, the token must be the canonical one.
  if (Buffer.from(subject.address, "utf8").toString("base64url") !== m[3]) return null;
  const given = Buffer.from(m[4] as string, "base64url");
  const expected = mac(linkKey, subject);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return subject;
}

/**
 * The public base URL of `serve`'s HTTP port (REMESSA_PUBLIC_URL), as the
 * people receiving the e-mails reach it; null when not configured (messages
 * then go out without List-Unsubscribe).
 */
export function publicUrlSetting(env: Record<string, string | undefined> = process.env) {
  const url = env.REMESSA_PUBLIC_URL?.trim();
  return url ? url : null;
}

/** Checks a public base URL; the pt-BR problem, or null when usable. */
export function publicUrlProblem(base: string): string | null {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return `REMESSA_PUBLIC_URL inválida ("${base}"): informe o endereço público do remessa, por exemplo https://remessa.empresa.com.br.`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `REMESSA_PUBLIC_URL deve começar com https:// (recebido "${base}").`;
  }
  if (url.search || url.hash) {
    return `REMESSA_PUBLIC_URL não deve ter "?" nem "#" (recebido "${base}").`;
  }
  return null;
}

/** BASE/u/TOKEN, keeping a path the base may have (a reverse proxy's prefix). */
export function unsubscribeUrl(base: string, token: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/u/${token}`;
  return url.toString();
}
