import { expect, test } from "vitest";
import { withEmptyBuckets } from "./TimelineChart";

const zero = { sent: 0, delivered: 0, read: 0, failed: 0, skipped: 0, expired: 0 };

test("quiet minutes between two waves are drawn as empty bars", () => {
  const filled = withEmptyBuckets({
    unit: "minute",
    buckets: [
      { at: "2026-12-07T10:50:00.000Z", ...zero, sent: 5 },
      { at: "2026-12-07T10:53:00.000Z", ...zero, sent: 5, delivered: 2 },
    ],
  });
  expect(filled.map((b) => [b.at.slice(11, 16), b.sent])).toEqual([
    ["10:50", 5],
    ["10:51", 0],
    ["10:52", 0],
    ["10:53", 5],
  ]);
});
