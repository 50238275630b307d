/**
 * Facts for monitoring that belong to the whole deployment, not to one
 * process: read from the database when the metrics are scraped.
 */
import { sql } from "kysely";
import type { Store } from "./db.js";

/**
 * Messages waiting for a dispatcher now, by channel: pending ones whose time
 * has come and ones left "sending" by a dispatcher whose lease expired, of
 * campaigns that are sending (scheduled or running). Through the
 * `messages_due` index, one campaign at a time, as the dispatcher's own
 * queries (on SQLite the index is named: its planner would scan otherwise).
 */
export async function dueMessagesByChannel(store: Store, now: Date): Promise<Map<string, number>> {
  const due = store.dialect === "postgres" ? sql`` : sql`indexed by messages_due`;
  const at = now.toISOString();
  const { rows } = await sql<{ channel: string; n: number | string | null }>`
    select channel, sum(n) as n from (
      select c.channel as channel,
             (select count(*) from messages m ${due}
               where m.campaign_id = c.id and m.state = 'pending'
                 and m.next_attempt_at <= ${at}) as n
        from campaigns c where c.state in ('scheduled', 'running')
      union all
      select c.channel as channel,
             (select count(*) from messages m ${due}
               where m.campaign_id = c.id and m.state = 'sending'
                 and m.lease_expires_at < ${at}) as n
        from campaigns c where c.state in ('scheduled', 'running')
    ) x group by channel`.execute(store.db);
  return new Map(rows.map((r) => [r.channel, Number(r.n ?? 0)]));
}

export interface SourcePollState {
  id: number;
  tenantId: number;
  name: string;
  /** Seconds since the last successful poll (since the source was added, when never). */
  lagSeconds: number;
  /** Failed polls in a row. */
  failures: number;
}

/** Every enabled source's polling health. */
export async function sourcePollStates(store: Store, now: Date): Promise<SourcePollState[]> {
  const rows = await store.db
    .selectFrom("file_sources")
    .select(["id", "tenant_id", "name", "last_success_at", "created_at", "failure_count"])
    .where("enabled", "=", 1)
    .orderBy("id")
    .execute();
  return rows.map((r) => {
    const since = Date.parse(r.last_success_at ?? r.created_at);
    return {
      id: Number(r.id),
      tenantId: r.tenant_id,
      name: r.name,
      lagSeconds: Number.isFinite(since) ? Math.max(0, (now.getTime() - since) / 1000) : 0,
      failures: r.failure_count,
    };
  });
}
