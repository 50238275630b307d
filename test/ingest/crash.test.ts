/**
 * Crash safety: `serve` is killed abruptly (SIGKILL, via the test-only
 * REMESSA_TEST_CRASH_AT hook) right after a file reaches each state, then
 * started again. Every file must end in exactly one folder, imported at most
 * once, with its report.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createWallet } from "../../src/store/wallets.js";
import { ddmmyy, mailingCsv, namesIn, waitFor, waitReported, whereDone } from "./helpers.js";
import { curlUpload, newDataDir, openServeStore, startServe } from "./serve-harness.js";

const STATES = ["claimed", "downloaded", "checked", "imported", "moved", "reported"] as const;

describe("crash at each state and restart", () => {
  for (const state of STATES) {
    test(`killed right after "${state}"`, async () => {
      const dataDir = newDataDir();
      // Short leases so the restarted process takes over the dead one's files quickly.
      const env = { REMESSA_LEASE_SECONDS: "2" };
      const first = await startServe({
        dataDir,
        env: { ...env, REMESSA_TEST_CRASH_AT: state },
      });
      const store = await openServeStore(dataDir);
      try {
        await createWallet(store.db, 1, { code: "BRAD" });
        const work = mkdtempSync(join(tmpdir(), "remessa-crash-"));
        const today = ddmmyy();
        const good = `mailing_${today}_1_cBRAD.csv`;
        const bad = `mailing_${ddmmyy(-1)}_2_cBRAD.csv`;
        writeFileSync(join(work, good), mailingCsv(20, 1, 1));
        writeFileSync(join(work, bad), mailingCsv(5, 0, 2));
        await curlUpload(first.ftpPort, join(work, good), good);
        await curlUpload(first.ftpPort, join(work, bad), bad).catch(() => {
          // The server may already be dead: the second file is then put in place directly.
          writeFileSync(join(first.drop, bad), mailingCsv(5, 0, 2));
        });
        const { signal } = await first.exited;
        assert.equal(signal, "SIGKILL", `serve did not crash at ${state}:\n${first.output()}`);

        const second = await startServe({ dataDir, env });
        try {
          assert.equal(await waitFor("good file", () => whereDone(first.drop, good)), "LIDOS");
          assert.equal(await waitFor("bad file", () => whereDone(first.drop, bad)), "DESCARTADOS");
          // Exactly one copy of each, nowhere else.
          const lidos = namesIn(join(first.drop, "LIDOS"));
          const descartados = namesIn(join(first.drop, "DESCARTADOS"));
          assert.deepEqual(
            lidos.filter((n) => n.startsWith("mailing_")),
            [good, `${good}.rejeitados.csv`, `${good}.resultado.txt`],
          );
          assert.deepEqual(
            descartados.filter((n) => n.startsWith("mailing_")),
            [bad, `${bad}.erro.txt`],
          );
          assert.deepEqual(
            namesIn(first.drop).filter((n) => n.startsWith("mailing_")),
            [],
          );
          await waitReported(store.db, [good, bad]);
          const rows = await store.db
            .selectFrom("mailings")
            .select(["id", "file_name", "state", "outcome", "persons"])
            .orderBy("id")
            .execute();
          const goodRows = rows.filter((r) => r.file_name === good);
          assert.equal(goodRows.length, 1);
          assert.equal(goodRows[0]?.state, "reported");
          assert.equal(goodRows[0]?.outcome, "accepted");
          assert.equal(goodRows[0]?.persons, 20);
          // Imported once: 20 people, each in the mailing exactly once.
          const members = await store.db
            .selectFrom("mailing_persons")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow();
          assert.equal(Number(members.n), 20);
          const persons = await store.db
            .selectFrom("persons")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow();
          assert.equal(Number(persons.n), 20);
          const badRows = rows.filter((r) => r.file_name === bad);
          assert.equal(badRows.length, 1);
          assert.equal(badRows[0]?.outcome, "discarded");
        } finally {
          await second.stop();
        }
      } finally {
        await store.close();
      }
    });
  }

  test("SIGTERM stops serve gracefully (exit code 0) and a restart picks up where it was", async () => {
    const dataDir = newDataDir();
    const first = await startServe({ dataDir });
    await first.stop();
    const { code, signal } = await first.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, first.output());
    assert.match(first.output(), /remessa parado/);
    const second = await startServe({ dataDir });
    await second.stop();
    assert.equal((await second.exited).code, 0);
  });
});
