/** Tests that need a system server (PostgreSQL, vsftpd, OpenSSH) run only in full mode; CI sets it. */
export const FULL =
  process.env.REMESSA_TEST_FULL === "1" || process.env.REMESSA_TEST_FULL === "true";

/** `skip` option for node:test: a reason string when the test needs full mode and it is off. */
export function needsFull(what: string): false | string {
  return FULL ? false : `precisa de ${what}: defina REMESSA_TEST_FULL=1`;
}

export const POSTGRES_URL =
  process.env.REMESSA_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
