import { describe, expect, test } from "vitest";
import { mailingOf, withoutStandIn } from "./MontarNome";

const form = {
  date: "2026-12-07",
  sequence: "3",
  extension: "csv" as const,
  wallet: "BRAD",
  description: "",
  sanitize: true,
  sms: "short" as const,
  whatsapp: "exclusivo" as const,
  whatsappNumber: " 5511987654321 ",
  template: "",
  email: false,
  emailAccount: "",
  emailSubject: "",
  start: "2026-12-07T10:00",
  splitPercent: "15",
  splitMinutes: "20",
  excludeRecentHours: "",
  replaceTags: false,
  removeOtherWallets: true,
  deadline: "",
};

describe("the name builder's form", () => {
  test("becomes the API's mailing object: blanks are null, numbers are numbers", () => {
    const m = mailingOf(form);
    expect(m).toMatchObject({
      date: "2026-12-07",
      sequence: 3,
      wallet: "BRAD",
      walletFrom: "name",
      sms: "short",
      whatsapp: { mode: "exclusivo", number: "5511987654321", template: null },
      email: null,
      start: "2026-12-07T10:00",
      split: { percent: 15, everyMinutes: 20 },
      excludeRecentHours: null,
      removeOtherWallets: true,
      deadline: null,
    });
  });
  test("no wallet means the folder's; no split means one wave", () => {
    const m = mailingOf({ ...form, wallet: "", splitPercent: "", splitMinutes: "" });
    expect(m.wallet).toBeNull();
    expect(m.walletFrom).toBeNull();
    expect(m.split).toBeNull();
  });
  test("an empty description leaves no _d in the name shown", () => {
    const built = `mailing_071226_3_cBRAD_d${mailingOf(form).description}_h_smsshort.csv`;
    expect(withoutStandIn(built, "")).toBe("mailing_071226_3_cBRAD_h_smsshort.csv");
    expect(withoutStandIn("mailing_071226_3_cBRAD_dCobrança_h.csv", "Cobrança")).toBe(
      "mailing_071226_3_cBRAD_dCobrança_h.csv",
    );
  });
});
