import { useState } from "react";
import { messageOf } from "../api";
import { ErrorBox, Loading, Page, Stat } from "../components";
import {
  CAMPAIGN_STATUS_LABELS,
  CHANNEL_LABELS,
  DONE_STATES,
  formatDateTime,
  formatLocal,
  formatNumber,
  MESSAGE_STATUS_LABELS,
} from "../format";
import { useApi, useResource } from "../hooks";
import type { CampaignDetail, CampaignSummary, MailingDetail, MessageCounts } from "../types";
import { TimelineChart } from "./TimelineChart";

function done(counts: MessageCounts): number {
  return DONE_STATES.reduce((n, s) => n + (counts[s] ?? 0), 0);
}

/** One bar split by message status: how far a campaign (or a wave) has gone, and how. */
export function StatusBar({ counts, total }: { counts: MessageCounts; total: number }) {
  const parts = Object.keys(MESSAGE_STATUS_LABELS).filter((s) => (counts[s] ?? 0) > 0);
  const percent = total === 0 ? 100 : Math.round((done(counts) / total) * 100);
  return (
    <div className="statusbar-wrap">
      <div
        className="statusbar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-label={`${percent}% concluído`}
      >
        {parts.map((s) => (
          <span
            key={s}
            className={`seg ${s}`}
            style={{ width: `${((counts[s] ?? 0) / Math.max(total, 1)) * 100}%` }}
            title={`${MESSAGE_STATUS_LABELS[s]}: ${formatNumber(counts[s] ?? 0)}`}
          />
        ))}
      </div>
      <span className="statusbar-text">{percent}%</span>
    </div>
  );
}

export function Campanhas() {
  const [status, setStatus] = useState("");
  const list = useResource<{ items: CampaignSummary[]; nextCursor: string | null }>(
    `/campaigns?limit=100${status ? `&status=${status}` : ""}`,
    3000,
  );
  return (
    <Page title="Campanhas">
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label className="field-control">
          <span className="field-label">Situação</span>
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Todas</option>
            {Object.entries(CAMPAIGN_STATUS_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorBox message={list.error} />
      {list.data === null ? (
        <Loading what="as campanhas" />
      ) : list.data.items.length === 0 ? (
        <p className="muted">
          Nenhuma campanha. Elas nascem dos arquivos cujo nome pede um canal (_smslong, _email…).
        </p>
      ) : (
        <ul className="cards">
          {list.data.items.map((c) => (
            <li key={c.id} className="card" data-campaign={c.id}>
              <a href={`#/campanhas/${c.id}`}>
                <strong>
                  Campanha {c.id} — {CHANNEL_LABELS[c.channel] ?? c.channel}
                </strong>
              </a>{" "}
              <span className={`badge campaign-${c.status}`}>
                {CAMPAIGN_STATUS_LABELS[c.status] ?? c.status}
              </span>
              <span className="muted"> · {formatNumber(c.audience)} pessoas</span>
              <StatusBar counts={c.counts} total={c.audience} />
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

export function Campanha({ id }: { id: string }) {
  const api = useApi();
  const campaign = useResource<CampaignDetail>(`/campaigns/${encodeURIComponent(id)}`, 2000);
  const mailingId = campaign.data?.mailingId ?? null;
  const mailing = useResource<MailingDetail>(mailingId === null ? null : `/mailings/${mailingId}`);
  const [actionError, setActionError] = useState<string | null>(null);
  const act = async (action: "pause" | "resume" | "cancel") => {
    if (
      action === "cancel" &&
      !window.confirm("Cancelar a campanha? As mensagens pendentes não serão enviadas.")
    )
      return;
    setActionError(null);
    try {
      await api.send("POST", `/campaigns/${encodeURIComponent(id)}/${action}`);
      campaign.reload();
    } catch (e) {
      setActionError(messageOf(e));
    }
  };
  const c = campaign.data;
  if (c === null) {
    return (
      <Page title={`Campanha ${id}`}>
        <ErrorBox message={campaign.error} />
        {campaign.error ? null : <Loading what="a campanha" />}
      </Page>
    );
  }
  const deadline = mailing.data?.parameters?.deadline ?? null;
  const late = deadline !== null && c.forecastEnd !== null && c.forecastEnd.slice(0, 16) > deadline;
  return (
    <Page
      title={`Campanha ${c.id} — ${CHANNEL_LABELS[c.channel] ?? c.channel}`}
      actions={<a href="#/campanhas">← Campanhas</a>}
    >
      <p>
        <span className={`badge campaign-${c.status}`} data-testid="campaign-status">
          {CAMPAIGN_STATUS_LABELS[c.status] ?? c.status}
        </span>{" "}
        {mailing.data ? (
          <>
            do arquivo <a href={`#/arquivos/${mailing.data.id}`}>{mailing.data.fileName}</a>
          </>
        ) : null}
      </p>
      <div className="actions">
        {c.status === "running" || c.status === "scheduled" ? (
          <button type="button" className="secondary" onClick={() => act("pause")}>
            Pausar
          </button>
        ) : null}
        {c.status === "paused" ? (
          <button type="button" onClick={() => act("resume")}>
            Retomar
          </button>
        ) : null}
        {c.status === "running" || c.status === "scheduled" || c.status === "paused" ? (
          <button type="button" className="danger" onClick={() => act("cancel")}>
            Cancelar
          </button>
        ) : null}
      </div>
      <ErrorBox message={actionError} />
      <h2>Progresso</h2>
      <StatusBar counts={c.counts} total={c.audience} />
      <div className="stats" data-testid="campaign-counts">
        <Stat label="pessoas" value={formatNumber(c.audience)} />
        {Object.entries(MESSAGE_STATUS_LABELS).map(([s, label]) =>
          (c.counts[s] ?? 0) > 0 ? (
            <Stat
              key={s}
              label={label.toLowerCase()}
              value={formatNumber(c.counts[s] ?? 0)}
              tone={
                s === "failed" || s === "expired"
                  ? "bad"
                  : s === "delivered" || s === "read"
                    ? "ok"
                    : undefined
              }
            />
          ) : null,
        )}
      </div>
      <h2>Mensagens ao longo do tempo</h2>
      <TimelineChart campaignId={c.id} />
      <h2>Previsão</h2>
      <p className={late ? "error-text" : ""}>
        Término previsto: {formatDateTime(c.forecastEnd)}
        {deadline ? <> · prazo (_LE): {formatLocal(deadline)}</> : " · sem prazo"}
        {late ? " — a previsão passa do prazo: o que não sair até lá expira." : null}
      </p>
      <h2>Ondas</h2>
      <ol className="waves">
        {c.waves.map((w) => (
          <li key={w.index} className="card">
            <strong>Onda {w.index + 1}</strong> · {formatNumber(w.size)} pessoas · prevista para{" "}
            {formatDateTime(w.plannedAt)}
            {w.startedAt ? (
              <> · começou {formatDateTime(w.startedAt)}</>
            ) : (
              <span className="muted"> · ainda não começou</span>
            )}
            <StatusBar counts={w.counts} total={w.size} />
          </li>
        ))}
      </ol>
    </Page>
  );
}
