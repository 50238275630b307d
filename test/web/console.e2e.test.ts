/**
 * The web console end to end, as an operator uses it: Debian's chromium driven
 * by playwright-core against a real `serve` child serving a fresh build of the
 * console, with files dropped in its drop folder and an SFTP source on the
 * system's OpenSSH. Screenshots of every page, at laptop and phone widths, go
 * to test-artifacts/console/ (CI keeps them; a person looks at them).
 *
 * Full mode only: it needs /usr/bin/chromium and the system SFTP server.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { createApiKey } from "../../src/store/api-keys.js";
import { FULL, needsFull } from "../helpers/env.js";
import { ddmmyy, mailingCsv } from "../ingest/helpers.js";
import { openServeStore, type ServeProcess, startServe } from "../ingest/serve-harness.js";
import { type SystemServers, systemServers, userFolder } from "../sources/servers.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const ARTIFACTS = join(ROOT, "test-artifacts", "console");
const WIDTHS = { laptop: { width: 1366, height: 850 }, phone: { width: 390, height: 844 } };

describe("web console in a real browser", { skip: needsFull("chromium e OpenSSH") }, () => {
  let built: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let key: string;
  let base: string;
  let servers: SystemServers;
  let sftpRoot: string;

  before(async () => {
    if (!FULL) return;
    built = mkdtempSync(join(tmpdir(), "remessa-console-build-"));
    await build({
      configFile: join(ROOT, "web", "vite.config.ts"),
      logLevel: "warn",
      build: { outDir: built, emptyOutDir: true },
    });
    serve = await startServe({
      http: true,
      env: { REMESSA_CONSOLE_DIR: built, REMESSA_API_ALLOW_PRIVATE: "1" },
    });
    base = `http://127.0.0.1:${serve.httpPort}`;
    const store = await openServeStore(serve.dataDir);
    try {
      key = (await createApiKey(store.db, 1, { name: "console e2e", scope: "write" })).key;
    } finally {
      await store.close();
    }
    servers = await systemServers();
    sftpRoot = await userFolder(servers);
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: process.env.REMESSA_CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox"],
    });
    const context = await browser.newContext({
      viewport: WIDTHS.laptop,
      locale: "pt-BR",
      timezoneId: "America/Sao_Paulo",
    });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    if (built) rmSync(built, { recursive: true, force: true });
    if (sftpRoot) rmSync(sftpRoot, { recursive: true, force: true });
  });

  /** A screenshot of the current page at both widths, named after it. */
  async function shoot(name: string): Promise<void> {
    for (const [width, size] of Object.entries(WIDTHS)) {
      await page.setViewportSize(size);
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize(WIDTHS.laptop);
  }

  test("sign in: a wrong key is refused with the reason; the right one opens the painel", async () => {
    await page.goto(base);
    await page.getByLabel("Chave de API").fill("rms_nao-existe");
    await page.getByRole("button", { name: "Entrar" }).click();
    await page
      .getByRole("alert")
      .getByText(/revogada/)
      .waitFor();
    await shoot("entrar");
    await page.getByLabel("Chave de API").fill(key);
    await page.getByRole("button", { name: "Entrar" }).click();
    await page.getByRole("heading", { name: "Painel" }).waitFor();
    await page.getByTestId("next-sequence").filter({ hasText: /^1$/ }).waitFor();
    await shoot("painel");
  });

  test("a wallet added on its page is listed", async () => {
    await page.goto(`${base}/#/carteiras`);
    await page.getByLabel("Código").fill("E2E");
    await page.getByLabel("Nome", { exact: true }).fill("Carteira do teste");
    await page.getByRole("button", { name: "Cadastrar" }).click();
    await page.getByRole("cell", { name: "Carteira do teste" }).waitFor();
    await shoot("carteiras");
  });

  test("an SMS route registered on the senders page is listed", async () => {
    await page.goto(`${base}/#/remetentes`);
    await page.getByLabel("Tipo", { exact: true }).selectOption("long");
    await page.getByLabel("Nome da rota", { exact: true }).fill("rota-e2e");
    await page.getByLabel("Carteira").first().selectOption("E2E");
    await page.getByRole("button", { name: "Cadastrar" }).first().click();
    await page.getByTestId("senders").getByText("rota-e2e").waitFor();
    await shoot("remetentes");
  });

  test("an SFTP source: added, its host key shown to pin, pinned, then the test passes", async () => {
    await page.goto(`${base}/#/fontes`);
    // The drop box's own address, for FileZilla.
    await page.getByTestId("dropbox").getByText(String(serve.ftpPort), { exact: true }).waitFor();
    await page.getByLabel("Nome", { exact: true }).fill("sftp-e2e");
    await page.getByLabel("Servidor", { exact: true }).fill(servers.host);
    await page.getByLabel("Porta", { exact: true }).fill(String(servers.sftpPort));
    await page.getByLabel("Usuário", { exact: true }).fill(servers.user);
    await page.getByLabel("Senha", { exact: true }).fill(servers.password);
    await page.getByLabel("Pasta raiz").fill(sftpRoot);
    await page.getByLabel("Servidor na rede interna").check();
    await page.getByRole("button", { name: "Cadastrar e testar" }).click();
    const card = page.locator('[data-source="sftp-e2e"]');
    await card.getByTestId("verdict").getByText(servers.hostKeySha256).waitFor();
    await shoot("fontes-chave-desconhecida");
    await card.getByRole("button", { name: /confiar em/ }).click();
    await card
      .getByTestId("verdict")
      .getByText(/Conexão OK/)
      .waitFor();
    await shoot("fontes");
  });

  test("a name built on the builder, dropped as a file, shows up as LIDOS with its counts, live", async () => {
    await page.goto(`${base}/#/montar-nome`);
    await page.getByLabel("Carteira (_c)").selectOption("E2E");
    await page.getByLabel("Descrição (_d)").fill("Cobrança dezembro");
    const built = page.getByTestId("built-name");
    await built.getByText(`mailing_${ddmmyy()}_1_cE2E_dCobrança dezembro_h.csv`).waitFor();
    const name = (await built.textContent()) ?? "";
    await shoot("montar-nome");

    // The history is open before the file arrives: it must appear without a reload.
    await page.goto(`${base}/#/arquivos`);
    await page.getByRole("heading", { name: "Histórico de arquivos" }).waitFor();
    writeFileSync(join(serve.drop, name), mailingCsv(12, 2));
    const row = page.locator(`tr[data-file="${name}"]`);
    await row.locator(".badge.accepted").waitFor({ timeout: 60_000 });
    assert.deepEqual(
      await row.locator("td.num").allTextContents(),
      ["14", "12", "2"],
      "rows, persons, rejected",
    );
    await shoot("arquivos");
    await row.getByRole("link").click();
    await page.getByRole("heading", { name }).waitFor();
    await page.getByText('Descrição: "Cobrança dezembro".').waitFor();
    await shoot("arquivo-lido");
  });

  test("a bad file shows up as DESCARTADO with its reason in plain pt-BR", async () => {
    const name = `mailing_${ddmmyy(-1)}_7_cE2E.csv`;
    await page.goto(`${base}/#/arquivos`);
    writeFileSync(join(serve.drop, name), mailingCsv(3));
    const row = page.locator(`tr[data-file="${name}"]`);
    await row.locator(".badge.discarded").waitFor({ timeout: 60_000 });
    await row.getByRole("link").click();
    const reasons = page.locator("ul.reasons");
    await reasons.waitFor();
    assert.match((await reasons.textContent()) ?? "", /data/i);
    await shoot("arquivo-descartado");
  });

  test("a campaign's progress moves on its page, wave by wave, to the end", async () => {
    // Two waves two minutes apart: time enough to see the bar stop half way, even on a busy machine.
    const name = `mailing_${ddmmyy()}_5_cE2E_smslong_q50002.csv`;
    // SMS needs a text: the long layout with MENSAGEM, one mobile per person.
    const rows = Array.from(
      { length: 10 },
      (_, i) => `TELEFONE;119${10_100_000 + i};Pessoa ${i};;E2E-${i};Olá [NOME_CLIENTE], teste`,
    );
    writeFileSync(
      join(serve.drop, name),
      `TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE;CPFCNPJ;CODCLIENTE;MENSAGEM\r\n${rows.join("\r\n")}\r\n`,
    );
    await page.goto(`${base}/#/campanhas`);
    await page.locator("[data-campaign] a").first().click({ timeout: 60_000 });
    const bar = page.getByRole("progressbar").first();
    const seen = new Set<number>();
    let shotHalfWay = false;
    const deadline = Date.now() + 240_000;
    for (;;) {
      seen.add(Number(await bar.getAttribute("aria-valuenow")));
      const status = await page.getByTestId("campaign-status").textContent();
      if (status === "Concluída") break;
      assert.ok(Date.now() < deadline, `still ${status}; progress seen: ${[...seen]}`);
      const now = Number(await bar.getAttribute("aria-valuenow"));
      if (now > 0 && now < 100 && !shotHalfWay) {
        shotHalfWay = true;
        await shoot("campanha-em-envio");
      }
      await page.waitForTimeout(500);
    }
    seen.add(Number(await bar.getAttribute("aria-valuenow")));
    // The first wave (half) went at once; the second two minutes later: the bar moved in between.
    assert.ok(
      [...seen].some((v) => v > 0 && v < 100),
      `progress seen: ${[...seen]}`,
    );
    assert.ok(seen.has(100));
    await page.getByTestId("campaign-counts").getByText("enviadas").waitFor();
    await shoot("campanha");
  });

  test("a person found by phone shows contacts, wallet and the message sent", async () => {
    await page.goto(`${base}/#/pessoas`);
    await page.getByLabel("Buscar por").selectOption("phone");
    await page.getByLabel("Valor").fill("(11) 91010-0000");
    await page.getByRole("button", { name: "Buscar" }).click();
    await page.getByTestId("people").getByRole("link", { name: "Pessoa 0" }).click();
    await page.getByTestId("contacts").getByText("11910100000").waitFor();
    await page.getByRole("cell", { name: "Enviadas" }).first().waitFor();
    await shoot("pessoa");
  });

  test("the name checker explains a good name and lists every error of a bad one", async () => {
    await page.goto(`${base}/#/conferir-nome`);
    await page
      .getByLabel("Nome do arquivo", { exact: true })
      .fill(`mailing_${ddmmyy()}_2_cE2E_h.csv`);
    await page.getByRole("button", { name: "Conferir" }).click();
    await page.getByTestId("check-ok").getByText("Carteira E2E (informada no nome).").waitFor();
    await page
      .getByLabel("Nome do arquivo", { exact: true })
      .fill(`mailing_${ddmmyy()}_1_cNADA_q3010.csv`);
    await page.getByRole("button", { name: "Conferir" }).click();
    const errors = page.getByTestId("check-errors");
    await errors.getByText("CARTEIRA_INEXISTENTE").waitFor();
    await errors.getByText("SEQUENCIA_REPETIDA").waitFor();
    await errors.getByText("VALOR_INVALIDO").waitFor();
    await shoot("conferir-nome");
  });

  test("the restriction list: one added by hand, a list uploaded with its bad line reported", async () => {
    await page.goto(`${base}/#/restricoes`);
    await page.getByLabel("Telefone, e-mail ou CPF/CNPJ", { exact: true }).fill("(11) 98765-4321");
    await page.getByLabel("Motivo").fill("pediu por telefone");
    await page.getByRole("button", { name: "Incluir" }).click();
    await page.getByTestId("restrictions").getByText("11987654321").waitFor();
    await page.getByLabel("Arquivo").setInputFiles({
      name: "optout.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("11912345678\nfulano@exemplo.com.br\nnao-e-contato\n"),
    });
    const result = page.getByTestId("upload-result");
    await result.getByText(/3 linhas: 2 incluídas/).waitFor();
    await result.getByText(/Linha 3:/).waitFor();
    await page.getByTestId("restrictions").getByText("fulano@exemplo.com.br").waitFor();
    await shoot("restricoes");
  });

  test("the painel counts today's files; sign-out forgets the key", async () => {
    await page.goto(`${base}/#/painel`);
    // Two accepted today (the builder's file and the campaign's), one discarded.
    await page.locator(".stat-link", { hasText: "Lido" }).getByText("2", { exact: true }).waitFor();
    await page
      .locator(".stat-link", { hasText: "Descartado" })
      .getByText("1", { exact: true })
      .waitFor();
    await shoot("painel-depois");
    await page.getByRole("button", { name: "Sair" }).click();
    await page.getByLabel("Chave de API").waitFor();
    await page.reload();
    await page.getByLabel("Chave de API").waitFor();
  });
});
