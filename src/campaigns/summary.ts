/**
 * The campaigns of one mailing as the `.resultado.txt` shows them (and
 * `remessa import` prints them): channel, sender, audience, exclusions, waves,
 * deadline, forecast, and why messages will miss the deadline. Read from what
 * planning stored, so a report written after a crash and restart says the same.
 */
import type { Kysely } from "kysely";
import { displayLocal } from "../local-time.js";
import type { CampaignLine } from "../mailing/reports.js";
import type { Database } from "../store/schema.js";
import { forecast } from "./forecast.js";
import { effectiveRate } from "./rates.js";
import { describeSendWindow, parseSendWindow, type SendWindow } from "./window.js";

export async function campaignSummaries(
  db: Kysely<Database>,
  mailingId: number,
  timeZone: string,
): Promise<CampaignLine[]> {
  const campaigns = await db
    .selectFrom("campaigns")
    .leftJoin("senders", "senders.id", "campaigns.sender_id")
    .leftJoin("email_accounts", "email_accounts.id", "campaigns.email_account_id")
    .leftJoin("templates", "templates.id", "campaigns.template_id")
    .leftJoin("wallets", "wallets.id", "campaigns.wallet_id")
    .select([
      "campaigns.id",
      "campaigns.channel",
      "campaigns.mode",
      "campaigns.subject",
      "campaigns.start_at",
      "campaigns.deadline_at",
      "campaigns.audience",
      "campaigns.excluded_json",
      "campaigns.forecast_end",
      "campaigns.forecast_late",
      "senders.name as sender_name",
      "senders.number as sender_number",
      "senders.rate_per_second as sender_rate",
      "email_accounts.address as account_address",
      "email_accounts.rate_per_second as account_rate",
      "templates.name as template_name",
      "wallets.send_window_json",
    ])
    .where("campaigns.mailing_id", "=", mailingId)
    .orderBy("campaigns.id")
    .execute();
  // Every campaign's waves in one query (not one per campaign).
  const wavesOf = new Map<number, { start_at: string; size: number }[]>();
  if (campaigns.length > 0) {
    const rows = await db
      .selectFrom("waves")
      .select(["campaign_id", "start_at", "size"])
      .where(
        "campaign_id",
        "in",
        campaigns.map((c) => c.id),
      )
      .orderBy("campaign_id")
      .orderBy("number")
      .execute();
    for (const w of rows) {
      const id = Number(w.campaign_id);
      const list = wavesOf.get(id) ?? [];
      list.push({ start_at: w.start_at, size: Number(w.size) });
      wavesOf.set(id, list);
    }
  }
  const lines: CampaignLine[] = [];
  for (const c of campaigns) {
    const waves = wavesOf.get(Number(c.id)) ?? [];
    const channel = c.channel as "sms" | "whatsapp" | "email";
    let sender: string | null = null;
    if (channel === "sms" && c.sender_number !== null) {
      sender =
        c.sender_name && c.sender_name !== c.sender_number
          ? `rota "${c.sender_name}" (${c.sender_number})`
          : `rota ${c.sender_number}`;
    } else if (channel === "whatsapp" && c.sender_number !== null) {
      sender = `número ${c.sender_number}`;
    } else if (channel === "email" && c.account_address !== null) {
      sender = `conta ${c.account_address}`;
    }
    const late = Number(c.forecast_late);
    const rate = effectiveRate(channel, channel === "email" ? c.account_rate : c.sender_rate);
    let lateForecast: CampaignLine["late"] = null;
    if (late > 0 && c.deadline_at !== null) {
      let window: SendWindow | null = null;
      try {
        window = parseSendWindow(c.send_window_json);
      } catch {
        window = null;
      }
      const why = forecast({
        waves: waves.map((w) => ({ startMs: Date.parse(w.start_at), size: Number(w.size) })),
        rate,
        window,
        timeZone,
        deadlineMs: Date.parse(c.deadline_at),
      }).why;
      lateForecast = {
        count: late,
        ratePerSecond: rate,
        sendingSeconds: why.sendingSeconds,
        window: window ? describeSendWindow(window) : null,
        windowDelayed: why.windowDelayed,
        windowClosedUntilDeadline: why.windowClosedUntilDeadline,
        inWavesAfterDeadline: why.inWavesAfterDeadline,
      };
    }
    lines.push({
      channel,
      mode: c.mode,
      sender,
      template: channel === "whatsapp" ? c.template_name : null,
      subject: channel === "email" ? c.subject : null,
      startAt: displayLocal(c.start_at, timeZone),
      deadlineAt: c.deadline_at ? displayLocal(c.deadline_at, timeZone) : null,
      audience: Number(c.audience),
      excluded: JSON.parse(c.excluded_json ?? "{}") as Record<string, number>,
      waves: waves.map((w) => ({
        startAt: displayLocal(w.start_at, timeZone),
        size: Number(w.size),
      })),
      forecastEnd: c.forecast_end ? displayLocal(c.forecast_end, timeZone, true) : null,
      late: lateForecast,
    });
  }
  return lines;
}
