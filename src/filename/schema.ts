import { z } from "zod";
import { isIsoDate, isIsoLocalDateTime } from "./datetime.js";
import type { Mailing } from "./types.js";

const isoDate = z.string().refine(isIsoDate, "data no formato AAAA-MM-DD");
const isoLocal = z.string().refine(isIsoLocalDateTime, "data e hora no formato AAAA-MM-DDTHH:MM");

/** The `mailing` object of `check-name --json`, as input (e.g. `build-name --from-json`). */
export const mailingSchema = z
  .object({
    date: isoDate,
    sequence: z.number().int().min(0).max(999),
    extension: z.enum(["csv", "txt", "zip"]),
    wallet: z.string().min(1).nullable(),
    walletFrom: z.enum(["name", "folder"]).nullable(),
    description: z.string().min(1),
    sanitize: z.boolean(),
    sms: z.enum(["long", "short"]).nullable(),
    whatsapp: z
      .object({
        mode: z.enum(["exclusivo", "compartilhado", "prospect"]),
        number: z.string().nullable(),
        template: z.string().min(1).nullable(),
      })
      .strict()
      .nullable(),
    email: z
      .object({ account: z.string().nullable(), subject: z.string().min(1).nullable() })
      .strict()
      .nullable(),
    start: isoLocal.nullable(),
    split: z
      .object({
        percent: z.number().int().min(1).max(99),
        everyMinutes: z.number().int().min(1).max(999),
      })
      .strict()
      .nullable(),
    excludeRecentHours: z.number().int().min(1).max(999).nullable(),
    replaceTags: z.boolean(),
    removeOtherWallets: z.boolean(),
    deadline: isoLocal.nullable(),
  })
  .strict() satisfies z.ZodType<Mailing>;
