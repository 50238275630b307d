import { type FormEvent, useState } from "react";
import { messageOf } from "../api";
import { ErrorBox, Field, Loading, Page } from "../components";
import { formatDateTime, formatNumber } from "../format";
import { useApi, useResource } from "../hooks";
import type { Wallet } from "../types";

interface Restriction {
  id: number;
  wallet: string | null;
  channel: string | null;
  kind: "phone" | "email" | "document";
  value: string;
  reason: string | null;
  origin: string;
  actor: string | null;
  createdAt: string;
}

interface Imported {
  lines: number;
  added: number;
  existing: number;
  ambiguous: number;
  rejectedCount: number;
  rejected: { line: number; text: string; message: string }[];
}

const KIND_LABELS = { phone: "Telefone", email: "E-mail", document: "CPF/CNPJ" };
const ORIGIN_LABELS: Record<string, string> = {
  operator: "operador",
  api: "API",
  import: "importação",
  unsubscribe: "link de descadastro",
  sms_reply: "resposta por SMS",
  whatsapp_reply: "resposta no WhatsApp",
};
const CHANNELS = [
  { value: "", label: "Todos os canais" },
  { value: "sms", label: "SMS" },
  { value: "whatsapp", label: "WhatsApp" },
  { value: "email", label: "E-mail" },
];

function scopeQuery(wallet: string, channel: string): string {
  const q = new URLSearchParams();
  if (wallet) q.set("wallet", wallet);
  if (channel) q.set("channel", channel);
  return q.toString();
}

/** Opt-outs: search, add one, remove one, upload a list; each entry with its scope and origin. */
export function Restricoes() {
  const api = useApi();
  const wallets = useResource<{ items: Wallet[] }>("/wallets");
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("/restrictions?limit=100");
  const list = useResource<{ items: Restriction[]; next: number | null }>(query);
  const [form, setForm] = useState({ value: "", wallet: "", channel: "", reason: "" });
  const [error, setError] = useState<string | null>(null);
  const [upload, setUpload] = useState({ wallet: "", channel: "" });
  const [imported, setImported] = useState<Imported | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const find = (event: FormEvent) => {
    event.preventDefault();
    setQuery(
      `/restrictions?limit=100${search.trim() ? `&value=${encodeURIComponent(search.trim())}` : ""}`,
    );
  };
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await api.send("POST", "/restrictions", {
        value: form.value.trim(),
        ...(form.wallet ? { wallet: form.wallet } : {}),
        ...(form.channel ? { channel: form.channel } : {}),
        ...(form.reason.trim() ? { reason: form.reason.trim() } : {}),
      });
      setForm((f) => ({ ...f, value: "", reason: "" }));
      list.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const remove = async (r: Restriction) => {
    setError(null);
    try {
      const q = new URLSearchParams({ value: r.value, kind: r.kind });
      if (r.wallet) q.set("wallet", r.wallet);
      if (r.channel) q.set("channel", r.channel);
      await api.send("DELETE", `/restrictions?${q.toString()}`);
      list.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const send = async (file: File | undefined) => {
    if (!file) return;
    setUploadError(null);
    setImported(null);
    setBusy(true);
    try {
      const text = await file.text();
      const scope = scopeQuery(upload.wallet, upload.channel);
      setImported(
        await api.upload<Imported>(
          `/restrictions/import${scope ? `?${scope}` : ""}`,
          text,
          "text/csv",
        ),
      );
      list.reload();
    } catch (e) {
      setUploadError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const walletOptions = (
    <>
      <option value="">A empresa inteira</option>
      {(wallets.data?.items ?? []).map((w) => (
        <option key={w.id} value={w.code}>
          Carteira {w.code}
        </option>
      ))}
    </>
  );
  return (
    <Page title="Lista de restrição">
      <p>
        Quem está aqui não recebe mensagens: é retirado na importação com <code>_h</code> e
        conferido de novo na hora de cada envio. Entradas chegam também pelo link de descadastro dos
        e-mails e por respostas SAIR, PARE ou STOP.
      </p>
      <form className="inline" onSubmit={find}>
        <Field label="Buscar telefone, e-mail ou CPF/CNPJ">
          <input name="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </Field>
        <button type="submit">Buscar</button>
      </form>
      <ErrorBox message={list.error ?? error} />
      {list.data === null ? (
        <Loading what="a lista" />
      ) : list.data.items.length === 0 ? (
        <p className="muted">Nenhuma entrada{search ? " com esse valor" : ""}.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="restrictions">
            <thead>
              <tr>
                <th scope="col">Valor</th>
                <th scope="col">Abrangência</th>
                <th scope="col">Origem</th>
                <th scope="col">Motivo</th>
                <th scope="col">Desde</th>
                <th scope="col">
                  <span className="skip-text">Ações</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.id}>
                  <td>
                    {KIND_LABELS[r.kind]} <code>{r.value}</code>
                  </td>
                  <td>
                    {r.wallet ? `carteira ${r.wallet}` : "empresa inteira"},{" "}
                    {r.channel ?? "todos os canais"}
                  </td>
                  <td>
                    {ORIGIN_LABELS[r.origin] ?? r.origin}
                    {r.actor ? ` (${r.actor})` : ""}
                  </td>
                  <td>{r.reason ?? "—"}</td>
                  <td>{formatDateTime(r.createdAt)}</td>
                  <td>
                    <button type="button" className="link" onClick={() => remove(r)}>
                      remover
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Incluir</h2>
      <form className="grid" onSubmit={add}>
        <Field label="Telefone, e-mail ou CPF/CNPJ">
          <input
            name="value"
            value={form.value}
            onChange={(e) => setForm({ ...form, value: e.target.value })}
            required
          />
        </Field>
        <Field label="Abrangência">
          <select
            name="wallet"
            value={form.wallet}
            onChange={(e) => setForm({ ...form, wallet: e.target.value })}
          >
            {walletOptions}
          </select>
        </Field>
        <Field label="Canal">
          <select
            name="channel"
            value={form.channel}
            onChange={(e) => setForm({ ...form, channel: e.target.value })}
          >
            {CHANNELS.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Motivo">
          <input
            name="reason"
            value={form.reason}
            onChange={(e) => setForm({ ...form, reason: e.target.value })}
          />
        </Field>
        <div>
          <button type="submit">Incluir</button>
        </div>
      </form>
      <h2>Enviar uma lista (CSV)</h2>
      <p className="muted">
        Um valor por linha (telefone, e-mail ou CPF/CNPJ); linhas inválidas voltam com o número.
      </p>
      <div className="grid">
        <Field label="Abrangência da lista">
          <select
            value={upload.wallet}
            onChange={(e) => setUpload({ ...upload, wallet: e.target.value })}
          >
            {walletOptions}
          </select>
        </Field>
        <Field label="Canal da lista">
          <select
            value={upload.channel}
            onChange={(e) => setUpload({ ...upload, channel: e.target.value })}
          >
            {CHANNELS.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Arquivo">
          <input
            type="file"
            accept=".csv,.txt,text/csv,text/plain"
            disabled={busy}
            onChange={(e) => send(e.target.files?.[0])}
          />
        </Field>
      </div>
      <ErrorBox message={uploadError} />
      {imported ? (
        <div className="card ok" role="status" data-testid="upload-result">
          {formatNumber(imported.lines)} linhas: {formatNumber(imported.added)} incluídas,{" "}
          {formatNumber(imported.existing)} já estavam na lista,{" "}
          {formatNumber(imported.rejectedCount)} recusadas
          {imported.ambiguous > 0
            ? `, ${formatNumber(imported.ambiguous)} lidas como telefone (também eram CPF)`
            : ""}
          .
          {imported.rejected.length > 0 ? (
            <ul>
              {imported.rejected.slice(0, 50).map((r) => (
                <li key={r.line}>
                  Linha {r.line}: {r.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </Page>
  );
}
