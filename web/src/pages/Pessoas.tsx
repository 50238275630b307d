import { type FormEvent, useState } from "react";
import { ErrorBox, Loading, Page } from "../components";
import { CHANNEL_LABELS, formatDateTime, MESSAGE_STATUS_LABELS } from "../format";
import { useResource } from "../hooks";
import type { Message, PersonDetail, PersonSummary } from "../types";

const KINDS = [
  { value: "document", label: "CPF/CNPJ" },
  { value: "phone", label: "Telefone" },
  { value: "email", label: "E-mail" },
  { value: "code", label: "CODCLIENTE" },
];

export function Pessoas() {
  const [kind, setKind] = useState("document");
  const [value, setValue] = useState("");
  const [query, setQuery] = useState<string | null>(null);
  const found = useResource<{ items: PersonSummary[] }>(query);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim() === "") return;
    setQuery(`/people?${kind}=${encodeURIComponent(value.trim())}`);
  };
  return (
    <Page title="Pessoas">
      <form className="inline" onSubmit={submit}>
        <label className="field-control">
          <span className="field-label">Buscar por</span>
          <select name="kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            {KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field-control">
          <span className="field-label">Valor</span>
          <input name="value" value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
        <button type="submit">Buscar</button>
      </form>
      <ErrorBox message={found.error} />
      {query === null ? null : found.data === null ? (
        <Loading what="as pessoas" />
      ) : found.data.items.length === 0 ? (
        <p className="muted">Ninguém encontrado com esse critério.</p>
      ) : (
        <ul className="cards" data-testid="people">
          {found.data.items.map((p) => (
            <li key={p.id} className="card">
              <a href={`#/pessoas/${p.id}`}>{p.name ?? `Pessoa ${p.id}`}</a>
              <span className="muted">
                {p.document ? ` · CPF/CNPJ ${p.document}` : ""}
                {p.codCliente ? ` · CODCLIENTE ${p.codCliente}` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

export function Pessoa({ id }: { id: string }) {
  const person = useResource<PersonDetail>(`/people/${encodeURIComponent(id)}`);
  const messages = useResource<{ items: Message[] }>(
    `/people/${encodeURIComponent(id)}/messages?limit=50`,
  );
  const p = person.data;
  if (p === null) {
    return (
      <Page title="Pessoa">
        <ErrorBox message={person.error} />
        {person.error ? null : <Loading what="a pessoa" />}
      </Page>
    );
  }
  return (
    <Page title={p.name ?? `Pessoa ${p.id}`} actions={<a href="#/pessoas">← Pessoas</a>}>
      <p className="muted">
        {p.document ? `CPF/CNPJ ${p.document} · ` : ""}
        {p.codCliente ? `CODCLIENTE ${p.codCliente} · ` : ""}
        desde {formatDateTime(p.createdAt)}
      </p>
      <h2>Contatos</h2>
      <ul data-testid="contacts">
        {p.contacts.map((c) => (
          <li key={`${c.kind}:${c.value}`}>
            {c.kind === "email"
              ? "E-mail"
              : c.kind === "mobile"
                ? "Celular"
                : c.kind === "landline"
                  ? "Fixo"
                  : "Telefone"}
            : {c.value}
          </li>
        ))}
      </ul>
      <h2>Carteiras</h2>
      <ul>
        {p.wallets.map((w) => (
          <li key={w.code}>
            <code>{w.code}</code> {w.name} — desde {formatDateTime(w.joinedAt)}
            {w.mailingId ? (
              <>
                {" "}
                (<a href={`#/arquivos/${w.mailingId}`}>arquivo</a>)
              </>
            ) : null}
          </li>
        ))}
      </ul>
      {p.tags.length > 0 ? (
        <>
          <h2>Tags</h2>
          <p>{p.tags.map((t) => t.tag).join(", ")}</p>
        </>
      ) : null}
      <h2>Mensagens</h2>
      <ErrorBox message={messages.error} />
      {messages.data === null ? (
        <Loading what="as mensagens" />
      ) : messages.data.items.length === 0 ? (
        <p className="muted">Nenhuma mensagem para esta pessoa.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Campanha</th>
                <th scope="col">Canal</th>
                <th scope="col">Destino</th>
                <th scope="col">Situação</th>
                <th scope="col">Enviada em</th>
              </tr>
            </thead>
            <tbody>
              {messages.data.items.map((m) => (
                <tr key={m.id}>
                  <td>
                    <a href={`#/campanhas/${m.campaignId}`}>{m.campaignId}</a>
                  </td>
                  <td>
                    {CHANNEL_LABELS[m.channel] ?? (m.channel === "mobile" ? "Celular" : m.channel)}
                  </td>
                  <td>{m.destination}</td>
                  <td>
                    {MESSAGE_STATUS_LABELS[m.status] ?? m.status}
                    {m.skipReason ? ` (${m.skipReason})` : ""}
                    {m.error ? ` — ${m.error}` : ""}
                  </td>
                  <td>{formatDateTime(m.sentAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
