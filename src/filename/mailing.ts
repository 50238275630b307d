import type { Mailing } from "./types.js";

/**
 * A mailing whose name asks only for an import (no campaign, no flags), with
 * the given fields: what `parse` gives for `mailing_DDMMYY_SEQ_cWALLET_dDESC.csv`.
 */
export function importOnlyMailing(
  fields: Pick<Mailing, "date" | "sequence" | "wallet" | "description"> & Partial<Mailing>,
): Mailing {
  return {
    extension: "csv",
    walletFrom: "name",
    sanitize: false,
    sms: null,
    whatsapp: null,
    email: null,
    start: null,
    split: null,
    excludeRecentHours: null,
    replaceTags: false,
    removeOtherWallets: false,
    deadline: null,
    ...fields,
  };
}
