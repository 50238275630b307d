/** What each route does, on both databases. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { testConnection } from "../../src/sources/test-connection.js";
import { createSource, getSourceWithSecret } from "../../src/store/sources.js";
import { DATABASES } from "../store/harness.js";
import {
  ADMIN_KEY,
  errorBody,
  type Fixture,
  insertMailing,
  openFixture,
  TODAY,
} from "./helpers.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));
const PASSWORD = "senha-nova-bem-secreta";

function localConfig(root: string) {
  return {
    name: `pasta-${root.slice(-6)}`,
    protocol: "local" as const,
    host: "",
    port: null,
    user: "",
    password: "",
    root,
    allowPrivate: true,
    tlsFingerprint: null,
    tlsInsecure: false,
  };
}

async function withFixture(
  open: (typeof DATABASES)[number]["open"],
  work: (f: Fixture) => Promise<void>,
  options = {},
): Promise<void> {
  const f = await openFixture(open, options);
  try {
    await work(f);
  } finally {
    await f.close();
  }
}

for (const database of DATABASES) {
  describe(`API routes on ${database.name}`, { skip: database.skip }, () => {
    test("tenants (admin): list, create, read; a bad time zone is refused", async () => {
      await withFixture(database.open, async (f) => {
        const admin = { key: ADMIN_KEY };
        const created = await f.call({
          ...admin,
          method: "POST",
          url: "/tenants",
          payload: { name: "Banco X", timeZone: "America/Manaus" },
        });
        assert.equal(created.statusCode, 201);
        assert.equal(created.json().timeZone, "America/Manaus");
        const list = await f.call({ ...admin, method: "GET", url: "/tenants" });
        assert.deepEqual(
          list.json().items.map((t: { name: string }) => t.name),
          ["padrão", "Outra empresa", "Banco X"],
        );
        const one = await f.call({ ...admin, method: "GET", url: `/tenants/${created.json().id}` });
        assert.equal(one.json().name, "Banco X");
        const missing = await f.call({ ...admin, method: "GET", url: "/tenants/999" });
        assert.equal(errorBody(missing).code, "NAO_ENCONTRADO");
        const bad = await f.call({
          ...admin,
          method: "POST",
          url: "/tenants",
          payload: { name: "Y", timeZone: "Lua/Crateras" },
        });
        assert.equal(bad.statusCode, 422);
        assert.match(errorBody(bad).message, /Fuso horário/);
      });
    });

    test("a tenant's keys (admin): created with the key shown once, listed without it, revoked", async () => {
      await withFixture(database.open, async (f) => {
        const admin = { key: ADMIN_KEY };
        const created = await f.call({
          ...admin,
          method: "POST",
          url: `/tenants/${f.tenantB}/api-keys`,
          payload: { name: "ERP", scope: "write" },
        });
        assert.equal(created.statusCode, 201, created.body);
        const { key, id, prefix } = created.json() as { key: string; id: number; prefix: string };
        const wallets = await f.call({ key, method: "GET", url: "/wallets" });
        assert.deepEqual(
          wallets.json().items.map((w: { code: string }) => w.code),
          ["BRAD"],
        );
        const list = await f.call({
          ...admin,
          method: "GET",
          url: `/tenants/${f.tenantB}/api-keys`,
        });
        assert.ok(list.json().items.some((k: { prefix: string }) => k.prefix === prefix));
        assert.ok(!list.body.includes(key.slice(12)), "the key is never listed");
        // A's key id through B's path: missing.
        const crossed = await f.call({
          ...admin,
          method: "DELETE",
          url: `/tenants/${f.tenantA}/api-keys/${id}`,
        });
        assert.equal(crossed.statusCode, 404);
        const revoked = await f.call({
          ...admin,
          method: "DELETE",
          url: `/tenants/${f.tenantB}/api-keys/${id}`,
        });
        assert.equal(revoked.statusCode, 200);
        assert.ok(revoked.json().revokedAt);
        assert.equal((await f.call({ key, method: "GET", url: "/wallets" })).statusCode, 401);
        const unknown = await f.call({
          ...admin,
          method: "POST",
          url: "/tenants/999/api-keys",
          payload: { name: "x" },
        });
        assert.equal(unknown.statusCode, 404);
        const audit = await f.store.db
          .selectFrom("audit_events")
          .select(["tenant_id", "actor", "action"])
          .orderBy("id")
          .execute();
        assert.deepEqual(audit, [
          { tenant_id: f.tenantB, actor: "api:admin", action: "POST /tenants/:id/api-keys" },
          {
            tenant_id: f.tenantB,
            actor: "api:admin",
            action: "DELETE /tenants/:id/api-keys/:keyId",
          },
        ]);
      });
    });

    test("wallets: create, read, refuse a duplicate, remove with its impact", async () => {
      await withFixture(database.open, async (f) => {
        const w = { key: f.keys.write };
        const created = await f.call({
          ...w,
          method: "POST",
          url: "/wallets",
          payload: { code: "SANT", name: "Santander" },
        });
        assert.equal(created.statusCode, 201);
        assert.deepEqual([created.json().code, created.json().name], ["SANT", "Santander"]);
        const again = await f.call({
          ...w,
          method: "POST",
          url: "/wallets",
          payload: { code: "SANT" },
        });
        assert.equal(again.statusCode, 422);
        assert.match(errorBody(again).message, /já existe/);
        const one = await f.call({ ...w, method: "GET", url: "/wallets/SANT" });
        assert.equal(one.json().name, "Santander");
        await insertMailing(f.store, f.tenantA, { wallet_id: created.json().id });
        const removed = await f.call({ ...w, method: "DELETE", url: "/wallets/SANT" });
        assert.equal(removed.statusCode, 200);
        assert.equal(removed.json().impact.mailings, 1);
        const gone = await f.call({ ...w, method: "GET", url: "/wallets/SANT" });
        assert.equal(gone.statusCode, 404);
        // Each change is in the tenant's audit trail, by key prefix, without the body.
        const audit = await f.store.db
          .selectFrom("audit_events")
          .select(["tenant_id", "actor", "action", "subject"])
          .orderBy("id")
          .execute();
        const prefix = f.keys.write.slice(0, 12);
        assert.deepEqual(audit, [
          { tenant_id: 1, actor: `api:${prefix}`, action: "POST /wallets", subject: null },
          {
            tenant_id: 1,
            actor: `api:${prefix}`,
            action: "DELETE /wallets/:code",
            subject: JSON.stringify({ code: "SANT" }),
          },
        ]);
      });
    });

    test("sources: the password is accepted, stored encrypted and never returned", async () => {
      await withFixture(database.open, async (f) => {
        const w = { key: f.keys.write };
        const created = await f.call({
          ...w,
          method: "POST",
          url: "/sources",
          payload: {
            name: "cliente",
            protocol: "ftps-explicit",
            host: "FTP.Cliente.com.br",
            port: 21,
            user: "carga",
            password: PASSWORD,
            tlsFingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
          },
        });
        assert.equal(created.statusCode, 201, created.body);
        const id = created.json().id as number;
        assert.equal(created.json().host, "ftp.cliente.com.br");
        assert.equal(created.json().hasPassword, true);
        const patched = await f.call({
          ...w,
          method: "PATCH",
          url: `/sources/${id}`,
          payload: { password: `${PASSWORD}-2`, intervalSeconds: 60 },
        });
        assert.equal(patched.statusCode, 200, patched.body);
        assert.equal(patched.json().intervalSeconds, 60);
        const everything = [
          created.body,
          patched.body,
          (await f.call({ ...w, method: "GET", url: "/sources" })).body,
          (await f.call({ ...w, method: "GET", url: `/sources/${id}` })).body,
          JSON.stringify((await f.call({ method: "GET", url: "/openapi.json" })).json().components),
        ].join("\n");
        assert.doesNotMatch(everything, new RegExp(PASSWORD));
        assert.doesNotMatch(everything, /"password"\s*:/);
        const stored = await getSourceWithSecret(f.store.db, f.tenantA, id, Buffer.alloc(32, 7));
        assert.equal(stored?.password, `${PASSWORD}-2`);
        const row = await f.store.db
          .selectFrom("file_sources")
          .select("password_enc")
          .where("id", "=", id)
          .executeTakeFirstOrThrow();
        assert.doesNotMatch(row.password_enc, new RegExp(PASSWORD));

        const removed = await f.call({ ...w, method: "DELETE", url: `/sources/${id}` });
        assert.deepEqual(removed.json(), { removed: true, impact: { mailings: 0, unfinished: 0 } });
        assert.equal(
          (await f.call({ ...w, method: "GET", url: `/sources/${id}` })).statusCode,
          404,
        );
      });
    });

    test("sources: the CLI's rules, private hosts refused unless allowed, platform sources protected", async () => {
      const dir = mkdtempSync(join(tmpdir(), "remessa-api-src-"));
      try {
        await withFixture(database.open, async (f) => {
          const w = { key: f.keys.write };
          const base = { protocol: "sftp", user: "u", password: "p4ssword" };
          const post = (payload: object) =>
            f.call({ ...w, method: "POST", url: "/sources", payload });
          const privateHost = await post({ ...base, host: "10.0.0.5" });
          assert.equal(privateHost.statusCode, 422);
          assert.deepEqual(errorBody(privateHost).details, { sourceCode: "HOST_PROIBIDO" });
          const asked = await post({ ...base, host: "10.0.0.5", allowPrivate: true });
          assert.equal(asked.statusCode, 422);
          assert.match(errorBody(asked).message, /allowPrivate/);
          const withScheme = await post({ ...base, host: "ftp://x.com.br" });
          assert.equal(errorBody(withScheme).code, "VALOR_RECUSADO");
          const plainTls = await post({
            ...base,
            protocol: "ftp",
            host: "x.com.br",
            tlsInsecure: true,
          });
          assert.match(errorBody(plainTls).message, /só para FTPS e SFTP/);
          const local = await post({ ...base, protocol: "local", host: "x", root: dir });
          assert.equal(errorBody(local).code, "DADOS_INVALIDOS");
          // The operator's local source: listed, not changed nor removed through the API.
          const folder = await createSource(
            f.store.db,
            f.tenantA,
            localConfig(dir),
            Buffer.alloc(32, 7),
          );
          const patch = await f.call({
            ...w,
            method: "PATCH",
            url: `/sources/${folder.id}`,
            payload: { root: "/etc" },
          });
          assert.equal(patch.statusCode, 409);
          assert.equal(errorBody(patch).code, "CONFLITO");
          const remove = await f.call({ ...w, method: "DELETE", url: `/sources/${folder.id}` });
          assert.equal(remove.statusCode, 409);
          // An operator's private host stays when other fields change, and is judged when changed.
          const lan = await createSource(
            f.store.db,
            f.tenantA,
            { ...localConfig(dir), name: "lan", protocol: "sftp", host: "10.0.0.9" },
            Buffer.alloc(32, 7),
          );
          const rename = await f.call({
            ...w,
            method: "PATCH",
            url: `/sources/${lan.id}`,
            payload: { name: "lan-2" },
          });
          assert.equal(rename.statusCode, 200, rename.body);
          const move = await f.call({
            ...w,
            method: "PATCH",
            url: `/sources/${lan.id}`,
            payload: { host: "10.0.0.10" },
          });
          assert.equal(move.statusCode, 422);
        });
        await withFixture(
          database.open,
          async (f) => {
            const ok = await f.call({
              key: f.keys.write,
              method: "POST",
              url: "/sources",
              payload: {
                protocol: "sftp",
                user: "u",
                password: "p4ssword",
                host: "10.0.0.5",
                allowPrivate: true,
              },
            });
            assert.equal(ok.statusCode, 201, ok.body);
          },
          { allowPrivateSources: true },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("POST /sources/{id}/test gives the CLI's verdict", async () => {
      const dir = mkdtempSync(join(tmpdir(), "remessa-api-test-"));
      try {
        writeFileSync(join(dir, "mailing_071226_1_cITAU.csv"), "x");
        await withFixture(database.open, async (f) => {
          const key = Buffer.alloc(32, 7);
          const good = await createSource(f.store.db, f.tenantA, localConfig(dir), key);
          const bad = await createSource(
            f.store.db,
            f.tenantA,
            { ...localConfig(join(dir, "nao-existe")), name: "sumida" },
            key,
          );
          for (const source of [good, bad]) {
            const res = await f.call({
              key: f.keys.write,
              method: "POST",
              url: `/sources/${source.id}/test`,
            });
            assert.equal(res.statusCode, 200);
            const stored = await getSourceWithSecret(f.store.db, f.tenantA, source.id, key);
            const cli = await testConnection(stored!);
            assert.deepEqual(res.json(), cli);
          }
          const first = await f.call({
            key: f.keys.write,
            method: "POST",
            url: `/sources/${good.id}/test`,
          });
          assert.deepEqual(
            [first.json().ok, first.json().code, first.json().candidates],
            [true, "OK", 1],
          );
          const second = await f.call({
            key: f.keys.write,
            method: "POST",
            url: `/sources/${bad.id}/test`,
          });
          assert.deepEqual([second.json().ok, second.json().code], [false, "RAIZ_INEXISTENTE"]);
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("mailings: filters, cursor pagination, detail with parameters, counts and reasons", async () => {
      await withFixture(database.open, async (f) => {
        const walletId = (
          await f.store.db
            .selectFrom("wallets")
            .select("id")
            .where("code", "=", "ITAU")
            .executeTakeFirstOrThrow()
        ).id;
        const ids: number[] = [];
        for (let i = 1; i <= 5; i++) {
          ids.push(
            await insertMailing(f.store, f.tenantA, {
              seen_date: i <= 3 ? TODAY : "2026-12-06",
              wallet_id: i % 2 === 1 ? walletId : null,
              outcome: i === 2 ? "discarded" : "accepted",
              source_id: i === 5 ? f.a.sourceId : null,
              date: TODAY,
              sequence: i,
            }),
          );
        }
        const failed = await insertMailing(f.store, f.tenantA, {
          state: "failed",
          outcome: "accepted",
          last_error: "sem permissão",
        });
        const running = await insertMailing(f.store, f.tenantA, { state: "claimed" });
        await insertMailing(f.store, f.tenantB, {});
        const list = async (query: string) => {
          const res = await f.call({ key: f.keys.read, method: "GET", url: `/mailings${query}` });
          assert.equal(res.statusCode, 200, res.body);
          return res.json() as { items: { id: number }[]; nextCursor: string | null };
        };
        const idsOf = async (query: string) => (await list(query)).items.map((m) => m.id);
        assert.deepEqual(await idsOf(""), [running, failed, ...[...ids].reverse()]);
        assert.deepEqual(await idsOf(`?from=${TODAY}&to=${TODAY}&outcome=accepted`), [
          ids[2],
          ids[0],
        ]);
        assert.deepEqual(await idsOf("?to=2026-12-06"), [ids[4], ids[3]]);
        assert.deepEqual(await idsOf("?wallet=ITAU"), [ids[4], ids[2], ids[0]]);
        assert.deepEqual(await idsOf("?outcome=discarded"), [ids[1]]);
        assert.deepEqual(await idsOf("?outcome=failed"), [failed]);
        assert.deepEqual(await idsOf("?outcome=processing"), [running]);
        assert.deepEqual(await idsOf(`?source=${f.a.sourceId}`), [ids[4]]);
        assert.deepEqual(await idsOf("?wallet=NENHUMA"), []);
        // Pages of 3 walk everything once, in order.
        const seen: number[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
          seen.push(...page.items.map((m) => m.id));
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null);
        assert.equal(pages, 3);
        assert.deepEqual(seen, await idsOf(""));

        const detailed = await insertMailing(f.store, f.tenantA, {
          file_name: "mailing_071226_9_cITAU_smslong.csv",
          wallet_id: walletId,
          outcome: "accepted",
          date: TODAY,
          sequence: 9,
          rows: 10,
          persons: 8,
          inserted: 6,
          updated: 2,
          rejected: 2,
          rejected_json: JSON.stringify({ TELEFONE_INVALIDO: 2 }),
          changes_json: JSON.stringify({ ninthDigit: 3 }),
          errors_json: JSON.stringify([
            { code: "SEQUENCIA_REPETIDA", message: "já usada", param: null, scope: "name" },
          ]),
          parsed_json: JSON.stringify({
            date: TODAY,
            sequence: 9,
            extension: "csv",
            wallet: "ITAU",
            walletFrom: "name",
            description: "mailing_071226_9_cITAU_smslong.csv",
            sanitize: false,
            sms: "long",
            whatsapp: null,
            email: null,
            start: null,
            split: null,
            excludeRecentHours: null,
            replaceTags: false,
            removeOtherWallets: false,
            deadline: null,
          }),
          reports_json: JSON.stringify(["LIDOS/a.csv.resultado.txt", "LIDOS/a.csv.rejeitados.csv"]),
        });
        const detail = await f.call({
          key: f.keys.read,
          method: "GET",
          url: `/mailings/${detailed}`,
        });
        assert.equal(detail.statusCode, 200, detail.body);
        const d = detail.json();
        assert.equal(d.wallet, "ITAU");
        assert.equal(d.parameters.sms, "long");
        assert.deepEqual([d.rows, d.persons, d.inserted, d.updated, d.rejected], [10, 8, 6, 2, 2]);
        assert.deepEqual(d.rejectedByCode, { TELEFONE_INVALIDO: 2 });
        assert.deepEqual(d.changes, { ninthDigit: 3 });
        assert.equal(d.reasons[0].code, "SEQUENCIA_REPETIDA");
        assert.deepEqual(
          d.reports.map((r: { kind: string }) => r.kind),
          ["resultado", "rejeitados"],
        );
        assert.equal(d.original.available, false);
      });
    });

    test("mailings: the original and each report download; what is not kept is 404", async () => {
      const dir = mkdtempSync(join(tmpdir(), "remessa-api-dl-"));
      try {
        await withFixture(database.open, async (f) => {
          const original = join(dir, "blob.bin");
          writeFileSync(original, "CPF;TELEFONE\n1;2\n");
          mkdirSync(join(dir, "root", "LIDOS"), { recursive: true });
          writeFileSync(
            join(dir, "root", "LIDOS", "mailing_071226_1.csv.resultado.txt"),
            "Situação: IMPORTADO\n",
          );
          const source = await createSource(
            f.store.db,
            f.tenantA,
            localConfig(join(dir, "root")),
            Buffer.alloc(32, 7),
          );
          const id = await insertMailing(f.store, f.tenantA, {
            file_name: "mailing_071226_1_dÇobrança.csv",
            source_id: source.id,
            stored_path: original,
            reports_json: JSON.stringify([
              "LIDOS/mailing_071226_1.csv.resultado.txt",
              "LIDOS/sumiu.csv.rejeitados.csv",
            ]),
          });
          const get = (url: string) => f.call({ key: f.keys.read, method: "GET", url });
          const file = await get(`/mailings/${id}/original`);
          assert.equal(file.statusCode, 200);
          assert.equal(file.body, "CPF;TELEFONE\n1;2\n");
          assert.match(
            String(file.headers["content-disposition"]),
            /filename\*=UTF-8''mailing_071226_1_d%C3%87obran%C3%A7a\.csv/,
          );
          const report = await get(`/mailings/${id}/reports/resultado`);
          assert.equal(report.statusCode, 200);
          assert.equal(report.body, "Situação: IMPORTADO\n");
          assert.match(String(report.headers["content-type"]), /text\/plain/);
          const vanished = await get(`/mailings/${id}/reports/rejeitados`);
          assert.equal(vanished.statusCode, 404);
          assert.equal(errorBody(vanished).code, "NAO_ENCONTRADO");
          const none = await get(`/mailings/${id}/reports/erro`);
          assert.equal(none.statusCode, 404);
          const bad = await get(`/mailings/${id}/reports/outro`);
          assert.equal(bad.statusCode, 400);
          rmSync(original);
          assert.equal((await get(`/mailings/${id}/original`)).statusCode, 404);
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("next-sequence: after the highest accepted or in-flight one of the day", async () => {
      await withFixture(database.open, async (f) => {
        const next = async (query = "") =>
          (
            await f.call({
              key: f.keys.read,
              method: "GET",
              url: `/mailings/next-sequence${query}`,
            })
          ).json();
        assert.deepEqual(await next(), { date: TODAY, sequence: 1, used: [] });
        await insertMailing(f.store, f.tenantA, { date: TODAY, sequence: 1, outcome: "accepted" });
        await insertMailing(f.store, f.tenantA, { date: TODAY, sequence: 2, outcome: "discarded" });
        await insertMailing(f.store, f.tenantA, { date: TODAY, sequence: 3, state: "claimed" });
        await insertMailing(f.store, f.tenantB, { date: TODAY, sequence: 7, outcome: "accepted" });
        assert.deepEqual(await next(), { date: TODAY, sequence: 4, used: [1, 3] });
        assert.deepEqual(await next("?date=2026-12-08"), {
          date: "2026-12-08",
          sequence: 1,
          used: [],
        });
        await insertMailing(f.store, f.tenantA, {
          date: "2026-12-08",
          sequence: 999,
          outcome: "accepted",
        });
        await insertMailing(f.store, f.tenantA, {
          date: "2026-12-08",
          sequence: 1,
          outcome: "accepted",
        });
        assert.equal((await next("?date=2026-12-08")).sequence, 2);
        const bad = await f.call({
          key: f.keys.read,
          method: "GET",
          url: "/mailings/next-sequence?date=2026-02-30",
        });
        assert.equal(errorBody(bad).code, "DADOS_INVALIDOS");
      });
    });

    test("filename check and build apply the tenant-data checks", async () => {
      await withFixture(database.open, async (f) => {
        const post = (url: string, payload: object) =>
          f.call({ key: f.keys.read, method: "POST", url, payload });
        const ok = await post("/filename/check", { name: "mailing_071226_1_cITAU.csv" });
        assert.equal(ok.json().ok, true);
        assert.deepEqual(ok.json().notChecked, []);
        await insertMailing(f.store, f.tenantA, {
          file_name: "mailing_071226_1_cITAU.csv",
          date: TODAY,
          sequence: 1,
          outcome: "accepted",
        });
        const taken = await post("/filename/check", {
          name: "pasta/mailing_071226_1_cNOVA_smslong.csv",
        });
        assert.equal(taken.statusCode, 200);
        assert.deepEqual(
          taken
            .json()
            .errors.map((e: { code: string }) => e.code)
            .sort(),
          ["CARTEIRA_INEXISTENTE", "REMETENTE_INEXISTENTE", "SEQUENCIA_REPETIDA"],
        );
        const yesterday = await post("/filename/check", { name: "mailing_061226_2_cITAU.csv" });
        assert.deepEqual(
          yesterday.json().errors.map((e: { code: string }) => e.code),
          ["DATA_NAO_E_HOJE"],
        );
        const thatDay = await post("/filename/check", {
          name: "mailing_061226_2_cITAU.csv",
          today: "2026-12-06",
        });
        assert.equal(thatDay.json().ok, true);

        const mailing = { ...ok.json().mailing, sequence: 2, description: "Aviso" };
        const built = await post("/filename/build", { mailing });
        assert.deepEqual(built.json(), {
          ok: true,
          name: "mailing_071226_2_cITAU_dAviso.csv",
          errors: [],
          notChecked: [],
        });
        // The whole check answer is accepted as the body, as build-name --from-json does.
        const fromCheck = await post("/filename/build", ok.json());
        assert.equal(fromCheck.json().ok, false);
        assert.equal(fromCheck.json().errors[0].code, "SEQUENCIA_REPETIDA");
      });
    });
  });
}

describe("the API answers as the CLI does (SQLite, same database)", () => {
  test("check-name --json and build-name --from-json --json", async () => {
    const { openSqliteTestStore } = await import("../store/harness.js");
    await withFixture(openSqliteTestStore, async (f) => {
      await insertMailing(f.store, f.tenantA, {
        file_name: "mailing_071226_1_cITAU.csv",
        date: TODAY,
        sequence: 1,
        outcome: "accepted",
      });
      const cli = (args: string[], input?: string) => {
        const run = spawnSync(
          process.execPath,
          [BIN, ...args, "--json", "--data-dir", f.t.dataDir, "--now", "2026-12-07T10:30"],
          {
            encoding: "utf8",
            input,
            env: { ...process.env, DATABASE_URL: "" },
          },
        );
        return JSON.parse(run.stdout);
      };
      for (const name of [
        "mailing_071226_1_cITAU.csv",
        "mailing_071226_2_cXX_whatsappprospect.csv",
        "mailing_071226_3_cITAU_q50.csv",
        "lixo.txt",
      ]) {
        const api = await f.call({
          key: f.keys.read,
          method: "POST",
          url: "/filename/check",
          payload: { name },
        });
        assert.deepEqual(api.json(), cli(["check-name", name]), name);
      }
      const good = (
        await f.call({
          key: f.keys.read,
          method: "POST",
          url: "/filename/check",
          payload: { name: "mailing_071226_5_cITAU_email_teAviso.csv" },
        })
      ).json();
      for (const mailing of [good.mailing, { ...good.mailing, sequence: 1 }]) {
        const api = await f.call({
          key: f.keys.read,
          method: "POST",
          url: "/filename/build",
          payload: { mailing },
        });
        assert.deepEqual(
          api.json(),
          cli(["build-name", "--from-json", "-"], JSON.stringify(mailing)),
        );
      }
    });
  });
});
