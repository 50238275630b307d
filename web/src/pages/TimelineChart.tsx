import { formatNumber, MESSAGE_STATUS_LABELS } from "../format";
import { useResource } from "../hooks";

interface Timeline {
  unit: "minute" | "hour";
  buckets: ({ at: string } & Record<Series, number>)[];
}
type Series = "sent" | "delivered" | "read" | "failed" | "skipped" | "expired";
const SERIES: Series[] = ["sent", "delivered", "read", "failed", "skipped", "expired"];

const HEIGHT = 160;
const LABEL_EVERY = 6;

function timeLabel(iso: string, unit: Timeline["unit"]): string {
  const d = new Date(iso);
  const hm = d.toLocaleTimeString("pt-BR", { hour: "2-digit", minute: "2-digit" });
  return unit === "hour"
    ? `${d.toLocaleDateString("pt-BR", { day: "2-digit", month: "2-digit" })} ${hm}`
    : hm;
}

/** The API lists only minutes (hours) with events: quiet ones in between are drawn empty. */
export function withEmptyBuckets(data: Timeline): Timeline["buckets"] {
  const step = data.unit === "hour" ? 3_600_000 : 60_000;
  const byTime = new Map(data.buckets.map((b) => [Date.parse(b.at), b]));
  const first = Date.parse(data.buckets[0]?.at ?? "");
  const last = Date.parse(data.buckets.at(-1)?.at ?? "");
  const out: Timeline["buckets"] = [];
  for (let t = first; t <= last && out.length < 2000; t += step) {
    out.push(
      byTime.get(t) ?? {
        at: new Date(t).toISOString(),
        sent: 0,
        delivered: 0,
        read: 0,
        failed: 0,
        skipped: 0,
        expired: 0,
      },
    );
  }
  return out;
}

/** Messages by status per minute (or hour): stacked bars, refreshed while the page is open. */
export function TimelineChart({ campaignId }: { campaignId: number }) {
  const timeline = useResource<Timeline>(`/campaigns/${campaignId}/timeline`, 5000);
  const data = timeline.data;
  if (data === null) return null;
  if (data.buckets.length === 0) return <p className="muted">Nenhuma mensagem saiu ainda.</p>;
  const buckets = withEmptyBuckets(data);
  const totals = buckets.map((b) => SERIES.reduce((n, s) => n + b[s], 0));
  const max = Math.max(...totals, 1);
  const barWidth = Math.max(4, Math.min(28, Math.floor(640 / buckets.length)));
  // At least 640 units wide, so a short campaign's few bars keep the chart's proportions.
  const width = Math.max(640, barWidth * buckets.length);
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${HEIGHT + 18}`}
        width="100%"
        role="img"
        aria-label={`Mensagens por ${data.unit === "hour" ? "hora" : "minuto"} e status`}
      >
        {buckets.map((b, i) => {
          let y = HEIGHT;
          return (
            <g key={b.at}>
              <title>
                {timeLabel(b.at, data.unit)}:{" "}
                {SERIES.filter((s) => b[s] > 0)
                  .map((s) => `${formatNumber(b[s])} ${MESSAGE_STATUS_LABELS[s]?.toLowerCase()}`)
                  .join(", ")}
              </title>
              {SERIES.map((s) => {
                const h = (b[s] / max) * HEIGHT;
                y -= h;
                return h > 0 ? (
                  <rect
                    key={s}
                    className={`seg ${s}`}
                    x={i * barWidth + 1}
                    y={y}
                    width={barWidth - 2}
                    height={h}
                  />
                ) : null;
              })}
              {i % LABEL_EVERY === 0 ? (
                <text x={i * barWidth} y={HEIGHT + 14} className="axis">
                  {timeLabel(b.at, data.unit)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {SERIES.map((s) => (
          <span key={s}>
            <i className={`swatch seg ${s}`} /> {MESSAGE_STATUS_LABELS[s]}
          </span>
        ))}
        <span className="muted">
          · pico de {formatNumber(max)} por {data.unit === "hour" ? "hora" : "minuto"}
        </span>
      </figcaption>
    </figure>
  );
}
