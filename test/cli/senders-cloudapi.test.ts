/**
 * `remessa senders add --provider cloudapi … --token-stdin` and `senders test`
 * through the real binary, against the fake Cloud API: the token is read from
 * standard input, stored encrypted and never printed; the test is a real
 * phone-number lookup with a pt-BR verdict.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { openMigrated } from "../../src/store/db.js";
import { FakeCloudApi, type FakeNumber } from "../channels/fake-cloud-api.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));

const NUMBER: FakeNumber = {
  phoneNumberId: "1234567890123",
  token: `EAAG${randomBytes(20).toString("hex")}`,
  displayPhoneNumber: "+55 11 98765-4321",
  verifiedName: "Cobranca Teste",
  tier: "TIER_10K",
};

describe("remessa senders with the Cloud API", () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let fake: FakeCloudApi;

  function remessa(args: string[], input = "") {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(BIN, ["senders", ...args], { env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "remessa-cloudapi-"));
    fake = await new FakeCloudApi({ numbers: [NUMBER] }).start();
    env = {
      ...process.env,
      REMESSA_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${join(dataDir, "remessa.db")}`,
      REMESSA_SECRET_KEY: randomBytes(32).toString("base64"),
      REMESSA_WHATSAPP_BASE_URL: fake.baseUrl,
    };
  });
  after(async () => {
    await fake?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const add = (extra: string[]) => [
    "add",
    "--kind",
    "whatsapp",
    "--mode",
    "exclusivo",
    "--provider",
    "cloudapi",
    ...extra,
  ];

  test("add reads the token from stdin, stores it encrypted, never prints it; test looks the number up", async () => {
    const added = await remessa(
      add([
        "--number",
        "5511987654321",
        "--phone-number-id",
        NUMBER.phoneNumberId,
        "--tier",
        "10k",
        "--token-stdin",
        "--json",
      ]),
      `${NUMBER.token}\n`,
    );
    assert.equal(added.code, 0, added.stderr);
    const json = JSON.parse(added.stdout) as Record<string, unknown>;
    assert.equal(json.provider, "cloudapi");
    assert.equal(json.messagingTier, 10_000);
    assert.equal(json.phoneNumberId, NUMBER.phoneNumberId);
    assert.ok(!added.stdout.includes(NUMBER.token) && !added.stderr.includes(NUMBER.token));

    const store = await openMigrated(`sqlite:${join(dataDir, "remessa.db")}`);
    try {
      const row = await store.db
        .selectFrom("senders")
        .selectAll()
        .where("id", "=", Number(json.id))
        .executeTakeFirstOrThrow();
      assert.match(row.token_enc ?? "", /^v1:/);
      assert.ok(!JSON.stringify(row).includes(NUMBER.token));
    } finally {
      await store.close();
    }

    const listed = await remessa(["list"]);
    assert.match(
      listed.stdout,
      /nível 10\.000 pessoas\/24 h, provedor cloudapi \(número 1234567890123 na Cloud API\)/,
    );
    assert.ok(!listed.stdout.includes(NUMBER.token));

    const ok = await remessa(["test", String(json.id)]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Cloud API respondeu: número \+55 11 98765-4321 \(Cobranca Teste\)/);
    assert.deepEqual(fake.lookups, [NUMBER.phoneNumberId]);
  });

  test("test says in pt-BR what failed: bad token, unknown id, unreachable; tier mismatch warned", async () => {
    const badToken = await remessa(
      add([
        "--number",
        "5511911110001",
        "--phone-number-id",
        NUMBER.phoneNumberId.replace(/3$/, "4"),
        "--token-stdin",
        "--json",
      ]),
      "token-errado\n",
    );
    assert.equal(badToken.code, 0, badToken.stderr);
    const unknownId = JSON.parse(badToken.stdout).id as number;
    const r1 = await remessa(["test", String(unknownId)]);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /não conhece o número 1234567890124/);

    const wrong = await remessa(
      add(["--number", "5511911110002", "--phone-number-id", "555000", "--token-stdin", "--json"]),
      "outro\n",
    );
    // The fake knows only NUMBER: use its id with a wrong token through a second fake entry.
    fake.options.numbers.push({ ...NUMBER, phoneNumberId: "555000", token: "o-certo" });
    const r2 = await remessa(["test", String(JSON.parse(wrong.stdout).id), "--json"]);
    assert.equal(r2.code, 1);
    const verdict = JSON.parse(r2.stdout) as { ok: boolean; message: string };
    assert.equal(verdict.ok, false);
    assert.match(verdict.message, /recusou o token de acesso/);
    assert.ok(!r2.stdout.includes("outro"));

    const mismatch = await remessa(
      add([
        "--number",
        "5511911110003",
        "--phone-number-id",
        "777000",
        "--tier",
        "250",
        "--token-stdin",
        "--json",
      ]),
      "t777\n",
    );
    fake.options.numbers.push({ ...NUMBER, phoneNumberId: "777000", token: "t777" });
    const r3 = await remessa(["test", String(JSON.parse(mismatch.stdout).id)]);
    assert.equal(r3.code, 0);
    assert.match(
      r3.stdout,
      /a Meta informa o nível 10\.000, mas o remetente está cadastrado com 250/,
    );

    const down = await remessa(
      add([
        "--number",
        "5511911110004",
        "--phone-number-id",
        "888000",
        "--base-url",
        "http://127.0.0.1:1",
        "--token-stdin",
        "--json",
      ]),
      "x\n",
    );
    const r4 = await remessa(["test", String(JSON.parse(down.stdout).id)]);
    assert.equal(r4.code, 1);
    assert.match(r4.stderr, /Não foi possível falar com a Cloud API em http:\/\/127\.0\.0\.1:1/);
  });

  test("refusals: cloudapi without --token-stdin, a bad tier, a phone-number id twice", async () => {
    const noToken = await remessa(
      add(["--number", "5511922220001", "--phone-number-id", "999001"]),
    );
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /--token-stdin/);
    const badTier = await remessa(
      add([
        "--number",
        "5511922220002",
        "--phone-number-id",
        "999002",
        "--tier",
        "500",
        "--token-stdin",
      ]),
      "t\n",
    );
    assert.equal(badTier.code, 2);
    assert.match(
      badTier.stderr,
      /Nível de mensagens "500" inválido: use 250, 1k, 10k, 100k ou ilimitado/,
    );
    const twice = await remessa(
      add([
        "--number",
        "5511922220003",
        "--phone-number-id",
        NUMBER.phoneNumberId,
        "--token-stdin",
      ]),
      "t\n",
    );
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /já está cadastrado em outro remetente/);
  });
});
