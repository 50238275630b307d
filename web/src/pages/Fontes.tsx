import { type FormEvent, useState } from "react";
import { messageOf } from "../api";
import { ErrorBox, Field, Loading, Page } from "../components";
import { formatDateTime } from "../format";
import { useApi, useResource } from "../hooks";
import type { SourceItem } from "../types";

interface DropBox {
  host: string;
  port: number;
  user: string;
  fingerprint: string;
}

interface Verdict {
  ok: boolean;
  code: string | null;
  message: string;
  /** An untrusted certificate or host key: what to pin once the server's owner confirms it. */
  fingerprint?: string;
}

const PROTOCOLS = [
  { value: "sftp", label: "SFTP", port: 22 },
  { value: "ftps-explicit", label: "FTPS explícito", port: 21 },
  { value: "ftps-implicit", label: "FTPS implícito", port: 990 },
  { value: "ftp", label: "FTP (sem criptografia)", port: 21 },
];

/** FTP/SFTP sources: the list with each one's last poll, add one, and "Testar conexão". */
export function Fontes() {
  const api = useApi();
  const sources = useResource<{ items: SourceItem[] }>("/sources", 10000);
  const box = useResource<DropBox>("/dropbox");
  const [verdicts, setVerdicts] = useState<Record<number, Verdict | "testing">>({});
  const [form, setForm] = useState({
    name: "",
    protocol: "sftp",
    host: "",
    port: "",
    user: "",
    password: "",
    root: "/",
    fingerprint: "",
    allowPrivate: false,
  });
  const [error, setError] = useState<string | null>(null);
  const test = async (id: number) => {
    setVerdicts((v) => ({ ...v, [id]: "testing" }));
    try {
      const verdict = await api.send<Verdict>("POST", `/sources/${id}/test`);
      setVerdicts((v) => ({ ...v, [id]: verdict }));
    } catch (e) {
      setVerdicts((v) => ({ ...v, [id]: { ok: false, code: null, message: messageOf(e) } }));
    }
  };
  const [editing, setEditing] = useState<number | null>(null);
  const pin = async (id: number, fingerprint: string) => {
    try {
      await api.send("PATCH", `/sources/${id}`, { tlsFingerprint: fingerprint });
      sources.reload();
      await test(id);
    } catch (e) {
      setVerdicts((v) => ({ ...v, [id]: { ok: false, code: null, message: messageOf(e) } }));
    }
  };
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const created = await api.send<SourceItem>("POST", "/sources", {
        name: form.name.trim() || null,
        protocol: form.protocol,
        host: form.host.trim(),
        ...(form.port.trim() === "" ? {} : { port: Number(form.port) }),
        user: form.user.trim(),
        password: form.password,
        root: form.root.trim() || "/",
        ...(form.fingerprint.trim() === "" ? {} : { tlsFingerprint: form.fingerprint.trim() }),
        ...(form.allowPrivate ? { allowPrivate: true } : {}),
      });
      setForm((f) => ({ ...f, name: "", host: "", port: "", user: "", password: "" }));
      sources.reload();
      void test(created.id);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const set = (key: keyof typeof form) => (value: string) =>
    setForm((f) => ({ ...f, [key]: value }));
  return (
    <Page title="Origens FTP/SFTP">
      <p>
        O remessa lê os arquivos dessas origens a cada poucos segundos e move cada um para{" "}
        <code>LIDOS</code> ou <code>DESCARTADOS</code>, com o relatório ao lado. No FileZilla,
        conecte-se ao mesmo servidor com o mesmo usuário e envie o arquivo para a pasta da carteira.
      </p>
      {box.data ? (
        <div className="card" data-testid="dropbox">
          <h2>Caixa FTPS do remessa</h2>
          <p>Para enviar arquivos direto a este servidor, no FileZilla:</p>
          <ol>
            <li>
              Arquivo → Gerenciador de Sites → Novo site; Protocolo: <strong>FTP</strong>,
              Criptografia: <strong>Requer FTP explícito sobre TLS</strong>.
            </li>
            <li>
              Host:{" "}
              <code>
                {box.data.host === "0.0.0.0" ? "o endereço deste servidor" : box.data.host}
              </code>
              ; Porta: <code>{box.data.port}</code>, Usuário: <code>{box.data.user}</code>, Senha: a
              mostrada quando o remessa iniciou pela primeira vez.
            </li>
            <li>
              Na primeira conexão, confira se a impressão digital SHA-256 do certificado é{" "}
              <code className="wrap">{box.data.fingerprint}</code> e marque "Sempre confiar".
            </li>
            <li>
              Envie o arquivo para a pasta com o código da carteira (ou para a raiz, com _c no
              nome).
            </li>
          </ol>
        </div>
      ) : null}
      <ErrorBox message={sources.error} />
      {sources.data === null ? (
        <Loading what="as origens" />
      ) : (
        <ul className="cards">
          {sources.data.items.map((s) => {
            const verdict = verdicts[s.id];
            return (
              <li key={s.id} className={`card ${s.lastError ? "bad" : ""}`} data-source={s.name}>
                <strong>{s.name}</strong> — {s.protocol}
                {s.host ? `://${s.user}@${s.host}${s.port ? `:${s.port}` : ""}` : ""} {s.root}
                <br />
                {s.lastError ? (
                  <span className="error-text">
                    Falhando desde {formatDateTime(s.lastErrorAt)}: {s.lastError}
                  </span>
                ) : (
                  <span className="muted">
                    Última leitura sem erro: {formatDateTime(s.lastSuccessAt)}
                  </span>
                )}
                {s.tlsFingerprint ? (
                  <>
                    <br />
                    <span className="muted">Certificado fixado: {s.tlsFingerprint}</span>
                  </>
                ) : null}
                <div>
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => test(s.id)}
                    disabled={verdict === "testing"}
                  >
                    {verdict === "testing" ? "Testando…" : "Testar conexão"}
                  </button>{" "}
                  {s.protocol !== "local" ? (
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => setEditing(editing === s.id ? null : s.id)}
                      aria-expanded={editing === s.id}
                    >
                      Editar
                    </button>
                  ) : null}
                </div>
                {editing === s.id ? (
                  <EditSource
                    source={s}
                    onSaved={() => {
                      setEditing(null);
                      sources.reload();
                      void test(s.id);
                    }}
                  />
                ) : null}
                {verdict && verdict !== "testing" ? (
                  <p
                    className={verdict.ok ? "ok-text" : "error-text"}
                    role="status"
                    data-testid="verdict"
                  >
                    {verdict.message}
                  </p>
                ) : null}
                {verdict && verdict !== "testing" && verdict.fingerprint ? (
                  <button type="button" onClick={() => pin(s.id, verdict.fingerprint ?? "")}>
                    Conferi com o responsável: confiar em {verdict.fingerprint}
                  </button>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
      <h2>Nova origem</h2>
      <form onSubmit={add} className="grid">
        <Field label="Nome">
          <input name="name" value={form.name} onChange={(e) => set("name")(e.target.value)} />
        </Field>
        <Field label="Protocolo">
          <select
            name="protocol"
            value={form.protocol}
            onChange={(e) => set("protocol")(e.target.value)}
          >
            {PROTOCOLS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Servidor">
          <input
            name="host"
            value={form.host}
            onChange={(e) => set("host")(e.target.value)}
            required
          />
        </Field>
        <Field
          label="Porta"
          hint={`Vazio: ${PROTOCOLS.find((p) => p.value === form.protocol)?.port ?? ""}`}
        >
          <input
            name="port"
            type="number"
            value={form.port}
            onChange={(e) => set("port")(e.target.value)}
          />
        </Field>
        <Field label="Usuário">
          <input
            name="user"
            value={form.user}
            onChange={(e) => set("user")(e.target.value)}
            required
          />
        </Field>
        <Field label="Senha" hint="Guardada cifrada; nunca é mostrada de volta">
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            value={form.password}
            onChange={(e) => set("password")(e.target.value)}
            required
          />
        </Field>
        <Field label="Pasta raiz">
          <input name="root" value={form.root} onChange={(e) => set("root")(e.target.value)} />
        </Field>
        <Field
          label="Impressão digital SHA-256"
          hint="Opcional: a do certificado (FTPS) ou da chave do servidor (SFTP). Sem ela, o teste mostra a que o servidor apresenta, para você conferir e confiar."
        >
          <input
            name="fingerprint"
            value={form.fingerprint}
            onChange={(e) => set("fingerprint")(e.target.value)}
          />
        </Field>
        <label className="check">
          <input
            type="checkbox"
            name="allowPrivate"
            checked={form.allowPrivate}
            onChange={(e) => setForm((f) => ({ ...f, allowPrivate: e.target.checked }))}
          />
          Servidor na rede interna (só em instalações que permitem)
        </label>
        <div>
          <button type="submit">Cadastrar e testar</button>
        </div>
      </form>
      <ErrorBox message={error} />
    </Page>
  );
}

/** Edits a source in place: what is left blank (the password) stays as it is. */
function EditSource({ source, onSaved }: { source: SourceItem; onSaved: () => void }) {
  const api = useApi();
  const [form, setForm] = useState({
    host: source.host,
    port: source.port === null ? "" : String(source.port),
    user: source.user,
    password: "",
    root: source.root,
    enabled: source.enabled,
  });
  const [error, setError] = useState<string | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await api.send("PATCH", `/sources/${source.id}`, {
        host: form.host.trim(),
        port: form.port.trim() === "" ? null : Number(form.port),
        user: form.user.trim(),
        ...(form.password === "" ? {} : { password: form.password }),
        root: form.root.trim() || "/",
        enabled: form.enabled,
      });
      onSaved();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <form className="grid edit" onSubmit={save}>
      <Field label="Servidor">
        <input
          value={form.host}
          onChange={(e) => setForm({ ...form, host: e.target.value })}
          required
        />
      </Field>
      <Field label="Porta">
        <input
          type="number"
          value={form.port}
          onChange={(e) => setForm({ ...form, port: e.target.value })}
        />
      </Field>
      <Field label="Usuário">
        <input
          value={form.user}
          onChange={(e) => setForm({ ...form, user: e.target.value })}
          required
        />
      </Field>
      <Field label="Nova senha" hint="Em branco: continua a mesma">
        <input
          type="password"
          autoComplete="new-password"
          value={form.password}
          onChange={(e) => setForm({ ...form, password: e.target.value })}
        />
      </Field>
      <Field label="Pasta raiz">
        <input value={form.root} onChange={(e) => setForm({ ...form, root: e.target.value })} />
      </Field>
      <label className="check">
        <input
          type="checkbox"
          checked={form.enabled}
          onChange={(e) => setForm({ ...form, enabled: e.target.checked })}
        />
        Ativa (lida a cada poucos segundos)
      </label>
      <div>
        <button type="submit">Salvar e testar</button>
      </div>
      <ErrorBox message={error} />
    </form>
  );
}
