import { useState } from "react";
import { describeMailing } from "../../../src/filename/describe.js";
import { messageOf } from "../api";
import { ErrorBox, Field, Loading, Page, Stat, saveBlob } from "../components";
import { fileStatus, formatDateTime, formatNumber, outcomeLabel } from "../format";
import { useApi, useResource } from "../hooks";
import type { MailingDetail, MailingItem, SourceItem, Wallet } from "../types";

interface Filters {
  from: string;
  to: string;
  wallet: string;
  outcome: string;
  source: string;
}

function initialFilters(): Filters {
  const query = new URLSearchParams(window.location.hash.split("?")[1] ?? "");
  return {
    from: query.get("from") ?? "",
    to: query.get("to") ?? "",
    wallet: query.get("wallet") ?? "",
    outcome: query.get("outcome") ?? "",
    source: query.get("source") ?? "",
  };
}

function listPath(f: Filters, cursor: string | null): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== "") q.set(k, v);
  q.set("limit", "50");
  if (cursor) q.set("cursor", cursor);
  return `/mailings?${q.toString()}`;
}

/** LIDOS and DESCARTADOS, newest first, refreshed every few seconds while open. */
export function Arquivos() {
  const [filters, setFilters] = useState<Filters>(initialFilters);
  const [cursor, setCursor] = useState<string | null>(null);
  const page = useResource<{ items: MailingItem[]; nextCursor: string | null }>(
    listPath(filters, cursor),
    3000,
  );
  const wallets = useResource<{ items: Wallet[] }>("/wallets");
  const sources = useResource<{ items: SourceItem[] }>("/sources");
  const set = (key: keyof Filters) => (value: string) => {
    setCursor(null);
    setFilters((f) => ({ ...f, [key]: value }));
  };
  return (
    <Page title="Histórico de arquivos">
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="De">
          <input type="date" value={filters.from} onChange={(e) => set("from")(e.target.value)} />
        </Field>
        <Field label="Até">
          <input type="date" value={filters.to} onChange={(e) => set("to")(e.target.value)} />
        </Field>
        <Field label="Situação">
          <select value={filters.outcome} onChange={(e) => set("outcome")(e.target.value)}>
            <option value="">Todas</option>
            <option value="accepted">Lidos</option>
            <option value="discarded">Descartados</option>
            <option value="processing">Em processamento</option>
            <option value="failed">Com falha</option>
          </select>
        </Field>
        <Field label="Carteira">
          <select value={filters.wallet} onChange={(e) => set("wallet")(e.target.value)}>
            <option value="">Todas</option>
            {(wallets.data?.items ?? []).map((w) => (
              <option key={w.id} value={w.code}>
                {w.code}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Origem">
          <select value={filters.source} onChange={(e) => set("source")(e.target.value)}>
            <option value="">Todas</option>
            {(sources.data?.items ?? []).map((s) => (
              <option key={s.id} value={String(s.id)}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
      </form>
      <ErrorBox message={page.error} />
      {page.data === null ? (
        <Loading what="o histórico" />
      ) : page.data.items.length === 0 ? (
        <p className="muted">Nenhum arquivo com esses filtros.</p>
      ) : (
        <div className="table-wrap">
          <table className="files">
            <thead>
              <tr>
                <th scope="col">Arquivo</th>
                <th scope="col">Visto em</th>
                <th scope="col">Carteira</th>
                <th scope="col">Situação</th>
                <th scope="col" className="num">
                  Linhas
                </th>
                <th scope="col" className="num">
                  Pessoas
                </th>
                <th scope="col" className="num">
                  Rejeitadas
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((f) => {
                const status = fileStatus(f);
                return (
                  <tr key={f.id} data-file={f.fileName}>
                    <td>
                      <a href={`#/arquivos/${f.id}`}>{f.fileName}</a>
                    </td>
                    <td>{formatDateTime(f.seenAt)}</td>
                    <td>{f.wallet ?? "—"}</td>
                    <td>
                      <span className={`badge ${status}`}>{outcomeLabel(status)}</span>
                    </td>
                    <td className="num" data-label="linhas">
                      {formatNumber(f.rows)}
                    </td>
                    <td className="num" data-label="pessoas">
                      {formatNumber(f.persons)}
                    </td>
                    <td className="num" data-label="rejeitadas">
                      {formatNumber(f.rejected)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        {cursor !== null ? (
          <button type="button" className="secondary" onClick={() => setCursor(null)}>
            Voltar ao início
          </button>
        ) : null}
        {page.data?.nextCursor ? (
          <button
            type="button"
            className="secondary"
            onClick={() => setCursor(page.data?.nextCursor ?? null)}
          >
            Mais antigos
          </button>
        ) : null}
      </div>
    </Page>
  );
}

/** One file: what its name asked, what happened, every reason, and its downloads. */
export function Arquivo({ id }: { id: string }) {
  const api = useApi();
  const file = useResource<MailingDetail>(`/mailings/${encodeURIComponent(id)}`, 3000);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const download = async (url: string, name: string) => {
    setDownloadError(null);
    try {
      saveBlob(await api.blob(url), name);
    } catch (e) {
      setDownloadError(messageOf(e));
    }
  };
  const f = file.data;
  if (f === null) {
    return (
      <Page title="Arquivo">
        <ErrorBox message={file.error} />
        {file.error ? null : <Loading what="o arquivo" />}
      </Page>
    );
  }
  const status = fileStatus(f);
  return (
    <Page title={f.fileName} actions={<a href="#/arquivos">← Histórico</a>}>
      <p>
        <span className={`badge ${status}`}>{outcomeLabel(status)}</span>{" "}
        {f.movedTo ? <>movido para {f.movedTo}</> : null}
      </p>
      <ErrorBox message={file.error} />
      <div className="stats">
        <Stat label="linhas" value={formatNumber(f.rows)} />
        <Stat label="pessoas" value={formatNumber(f.persons)} />
        <Stat label="novas" value={formatNumber(f.inserted)} />
        <Stat label="atualizadas" value={formatNumber(f.updated)} />
        <Stat
          label="linhas rejeitadas"
          value={formatNumber(f.rejected)}
          tone={f.rejected ? "warn" : undefined}
        />
      </div>
      {f.reasons.length > 0 ? (
        <>
          <h2>Motivos</h2>
          <ul className="reasons">
            {f.reasons.map((r) => (
              <li key={`${r.code}:${r.param ?? ""}:${r.message}`}>
                <code>{r.code}</code> {r.message}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {Object.keys(f.rejectedByCode).length > 0 ? (
        <>
          <h2>Linhas rejeitadas por motivo</h2>
          <ul>
            {Object.entries(f.rejectedByCode).map(([code, n]) => (
              <li key={code}>
                <code>{code}</code>: {formatNumber(n)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {f.parameters ? (
        <>
          <h2>O que o nome pede</h2>
          <ul>
            {describeMailing(f.parameters).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>Downloads</h2>
      <ErrorBox message={downloadError} />
      <ul className="downloads">
        {f.original.available ? (
          <li>
            <button
              type="button"
              className="link"
              onClick={() => download(f.original.url, f.fileName)}
            >
              Arquivo original
            </button>
          </li>
        ) : (
          <li className="muted">O original não fica guardado para arquivos descartados.</li>
        )}
        {f.reports.map((r) => (
          <li key={r.kind}>
            <button type="button" className="link" onClick={() => download(r.url, r.name)}>
              {r.name}
            </button>
          </li>
        ))}
      </ul>
    </Page>
  );
}
