import { ErrorBox, Loading, Page, Stat } from "../components";
import {
  CHANNEL_LABELS,
  fileStatus,
  formatDateTime,
  formatNumber,
  outcomeLabel,
  todayIso,
} from "../format";
import { useResource } from "../hooks";
import type { CampaignSummary, MailingItem, SourceItem } from "../types";
import { StatusBar } from "./Campanhas";

/** Today at a glance: files by outcome, failing sources, the next free sequence. */
export function Painel() {
  const today = todayIso();
  const files = useResource<{ items: MailingItem[] }>(
    `/mailings?from=${today}&to=${today}&limit=200`,
    5000,
  );
  const running = useResource<{ items: CampaignSummary[] }>(
    "/campaigns?status=running&limit=20",
    3000,
  );
  const sources = useResource<{ items: SourceItem[] }>("/sources", 15000);
  const next = useResource<{ sequence: number | null; used: number[] }>(
    `/mailings/next-sequence?date=${today}`,
    5000,
  );
  const byOutcome = new Map<string, number>();
  for (const f of files.data?.items ?? []) {
    const status = fileStatus(f);
    byOutcome.set(status, (byOutcome.get(status) ?? 0) + 1);
  }
  const failing = (sources.data?.items ?? []).filter((s) => s.lastError !== null);
  return (
    <Page title="Painel">
      <h2>Arquivos de hoje</h2>
      <ErrorBox message={files.error} />
      {files.data === null ? (
        <Loading what="os arquivos" />
      ) : (
        <div className="stats">
          {(["accepted", "discarded", "processing", "failed"] as const).map((o) => (
            <a key={o} href={`#/arquivos?outcome=${o}`} className="stat-link">
              <Stat
                label={outcomeLabel(o)}
                value={formatNumber(byOutcome.get(o) ?? 0)}
                tone={
                  o === "accepted" ? "ok" : o === "discarded" || o === "failed" ? "bad" : undefined
                }
              />
            </a>
          ))}
        </div>
      )}
      <h2>Campanhas em envio</h2>
      <ErrorBox message={running.error} />
      {running.data === null ? (
        <Loading what="as campanhas" />
      ) : running.data.items.length === 0 ? (
        <p className="muted">Nenhuma campanha em envio agora.</p>
      ) : (
        <ul className="cards">
          {running.data.items.map((c) => (
            <li key={c.id} className="card">
              <a href={`#/campanhas/${c.id}`}>
                Campanha {c.id} — {CHANNEL_LABELS[c.channel] ?? c.channel}
              </a>{" "}
              <span className="muted">{formatNumber(c.audience)} pessoas</span>
              <StatusBar counts={c.counts} total={c.audience} />
            </li>
          ))}
        </ul>
      )}
      <h2>Próxima sequência livre hoje</h2>
      <ErrorBox message={next.error} />
      <p className="big" data-testid="next-sequence">
        {next.data === null
          ? "…"
          : next.data.sequence === null
            ? "nenhuma (999 usadas)"
            : next.data.sequence}
      </p>
      <h2>Origens com falha</h2>
      <ErrorBox message={sources.error} />
      {sources.data === null ? (
        <Loading what="as origens" />
      ) : failing.length === 0 ? (
        <p className="ok-text">Todas as origens estão sendo lidas normalmente.</p>
      ) : (
        <ul className="cards">
          {failing.map((s) => (
            <li key={s.id} className="card bad">
              <strong>{s.name}</strong> ({s.protocol}://{s.host}) — {s.failureCount} falha(s)
              seguidas desde {formatDateTime(s.lastErrorAt)}
              <br />
              {s.lastError}
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
