import { createHash } from "node:crypto";

/**
 * SHA-256 fingerprints are accepted in the two forms people copy them in:
 * hex with or without colons (browsers, `openssl x509 -fingerprint -sha256`)
 * and OpenSSH's `SHA256:<base64>` (`ssh-keygen -l`, WinSCP, FileZilla for SFTP).
 * Both are turned into the 32 raw bytes for comparison.
 */
export function parseFingerprint(text: string): Buffer | null {
  const trimmed = text.trim();
  const withoutPrefix = trimmed.replace(/^sha-?256[:=]\s*/i, "");
  const hex = withoutPrefix.replace(/[:\s-]/g, "");
  if (/^[0-9a-f]{64}$/i.test(hex)) return Buffer.from(hex, "hex");
  if (/^[A-Za-z0-9+/]{43}=?$/.test(withoutPrefix)) {
    const bytes = Buffer.from(withoutPrefix, "base64");
    if (bytes.length === 32) return bytes;
  }
  return null;
}

export function isValidFingerprint(text: string): boolean {
  return parseFingerprint(text) !== null;
}

export function fingerprintMatches(expected: string, actual: Buffer): boolean {
  const parsed = parseFingerprint(expected);
  return parsed?.equals(actual) ?? false;
}

/** "AB:CD:..." — the form Node, OpenSSL and browsers show for certificates. */
export function hexFingerprint(digest: Buffer): string {
  return digest.toString("hex").toUpperCase().match(/../g)?.join(":") ?? "";
}

/** "SHA256:..." — the form OpenSSH, WinSCP and FileZilla show for host keys. */
export function sshFingerprint(digest: Buffer): string {
  return `SHA256:${digest.toString("base64").replace(/=+$/, "")}`;
}

export function sha256(data: Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}
