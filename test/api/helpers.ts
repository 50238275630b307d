/**
 * An API over a test store with two tenants (A = the default tenant 1, B),
 * their keys, a wallet and a source each, and a fixed clock.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { type ApiOptions, buildApi } from "../../src/api/app.js";
import { createApiKey, revokeApiKey } from "../../src/store/api-keys.js";
import type { Store } from "../../src/store/db.js";
import type { NewMailing } from "../../src/store/schema.js";
import { createSource } from "../../src/store/sources.js";
import { createTenant } from "../../src/store/tenants.js";
import { createWallet } from "../../src/store/wallets.js";
import type { TestStore } from "../store/harness.js";

export const ADMIN_KEY = "admin-key-for-tests-0123456789abcdef";
/** 2026-12-07 10:30 in São Paulo. */
export const NOW = new Date("2026-12-07T13:30:00Z");
export const TODAY = "2026-12-07";

export interface Fixture {
  t: TestStore;
  store: Store;
  app: FastifyInstance;
  tenantA: number;
  tenantB: number;
  keys: { write: string; read: string; revoked: string; other: string };
  /** A's and B's ids of seeded resources. */
  a: { sourceId: number; wallet: string };
  b: { sourceId: number; wallet: string };
  /** The clock the API reads; tests may move it. */
  clock: { now: Date };
  call(options: InjectOptions & { key?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

const remote = (name: string) => ({
  name,
  protocol: "ftps-explicit" as const,
  host: "ftp.exemplo.com.br",
  port: 21,
  user: "carga",
  password: "senha-super-secreta-123",
  root: "/",
  allowPrivate: false,
  tlsFingerprint: null,
  tlsInsecure: false,
});

export async function openFixture(
  open: () => Promise<TestStore>,
  options: Partial<ApiOptions> = {},
): Promise<Fixture> {
  const t = await open();
  const { db } = t.store;
  const tenantA = 1;
  const tenantB = (await createTenant(db, { name: "Outra empresa" })).id;
  const write = (await createApiKey(db, tenantA, { name: "w", scope: "write" })).key;
  const read = (await createApiKey(db, tenantA, { name: "r", scope: "read" })).key;
  const revoked = await createApiKey(db, tenantA, { name: "x", scope: "write" });
  await revokeApiKey(db, tenantA, revoked.summary.id);
  const other = (await createApiKey(db, tenantB, { name: "b", scope: "write" })).key;
  await createWallet(db, tenantA, { code: "ITAU" });
  await createWallet(db, tenantB, { code: "BRAD" });
  const key = Buffer.alloc(32, 7);
  const sourceA = await createSource(db, tenantA, remote("ftp-a"), key);
  const sourceB = await createSource(db, tenantB, remote("ftp-b"), key);
  const clock = { now: NOW };
  const app = buildApi({
    store: t.store,
    clock: () => clock.now,
    adminKey: ADMIN_KEY,
    secretKey: key,
    // Every answer of every test matches the OpenAPI document.
    checkResponses: true,
    ...options,
  });
  return {
    t,
    store: t.store,
    app,
    tenantA,
    tenantB,
    keys: { write, read, revoked: revoked.key, other },
    a: { sourceId: sourceA.id, wallet: "ITAU" },
    b: { sourceId: sourceB.id, wallet: "BRAD" },
    clock,
    call({ key, ...request }) {
      const headers = { ...(request.headers ?? {}) };
      if (key) headers.authorization = `Bearer ${key}`;
      return app.inject({ ...request, headers });
    },
    async close() {
      await app.close();
      await t.dispose();
    },
  };
}

let seq = 0;

/** A mailings row as the pipeline leaves it. */
export async function insertMailing(
  store: Store,
  tenantId: number,
  values: Partial<NewMailing> = {},
): Promise<number> {
  seq++;
  const row = await store.db
    .insertInto("mailings")
    .values({
      tenant_id: tenantId,
      file_name: `mailing_071226_${seq}.csv`,
      path: `mailing_071226_${seq}.csv`,
      first_seen_at: "2026-12-07T12:00:00.000Z",
      seen_date: TODAY,
      state: "reported",
      created_at: "2026-12-07T12:00:00.000Z",
      updated_at: "2026-12-07T12:00:00.000Z",
      ...values,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The body of an error answer, checked against the one error shape. */
export function errorBody(response: LightMyRequestResponse): {
  code: string;
  message: string;
  details: unknown;
} {
  const body = response.json() as Record<string, unknown>;
  const keys = Object.keys(body).sort().join(",");
  if (keys !== "code,details,message") {
    throw new Error(`not the error shape: ${response.body}`);
  }
  if (typeof body.code !== "string" || typeof body.message !== "string") {
    throw new Error(`bad error fields: ${response.body}`);
  }
  if (/\bat .+:\d+:\d+/.test(response.body) || /stack/i.test(response.body)) {
    throw new Error(`stack trace in an error: ${response.body}`);
  }
  return body as { code: string; message: string; details: unknown };
}
