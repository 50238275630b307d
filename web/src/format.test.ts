import { describe, expect, test } from "vitest";
import {
  fileStatus,
  formatDate,
  formatDateTime,
  formatLocal,
  formatNumber,
  outcomeLabel,
  todayIso,
} from "./format";

describe("pt-BR formats", () => {
  test("numbers use the dot for thousands", () => {
    expect(formatNumber(1234567)).toBe("1.234.567");
    expect(formatNumber(null)).toBe("—");
  });
  test("dates are dd/mm/aaaa; instants in the given zone", () => {
    expect(formatDate("2026-12-07")).toBe("07/12/2026");
    expect(formatDateTime("2026-12-07T13:30:05Z", "America/Sao_Paulo")).toBe(
      "07/12/2026, 10:30:05",
    );
    expect(formatLocal("2026-12-07T08:15")).toBe("07/12/2026 08:15");
    expect(formatDateTime("not a date")).toBe("—");
  });
  test("today is the local calendar day", () => {
    expect(todayIso(new Date(2026, 0, 5, 23, 59))).toBe("2026-01-05");
  });
  test("a file's status: failed wins, no outcome yet is processing", () => {
    expect(fileStatus({ state: "failed", outcome: "accepted" })).toBe("failed");
    expect(fileStatus({ state: "importing", outcome: null })).toBe("processing");
    expect(outcomeLabel(fileStatus({ state: "reported", outcome: "discarded" }))).toBe(
      "Descartado",
    );
  });
});
