import { describe, expect, it } from "vitest";
import { A_SATURDAY, DAYS, rangesOf, upcoming } from "./schedule";
import { addDays, weekdayName } from "./calendar";

describe("working hours form", () => {
  it("keeps a morning and an evening range and skips an empty one", () => {
    expect(rangesOf([{ from: "10:00", to: "14:00" }, { from: " 18:00 ", to: "22:00" }])).toEqual([
      { from: "10:00", to: "14:00" }, { from: "18:00", to: "22:00" },
    ]);
    expect(rangesOf([{ from: "09:00", to: "17:00" }, { from: "", to: "" }])).toEqual([{ from: "09:00", to: "17:00" }]);
  });
  it("refuses a range with one end", () => {
    expect(rangesOf([{ from: "09:00", to: "17:00" }, { from: "18:00", to: "" }])).toBe("half-range");
  });
  it("names the week's days from Saturday", () => {
    expect(DAYS.map((_, i) => weekdayName(addDays(A_SATURDAY, i), "en", "short"))).toEqual([
      "Sat", "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
    ]);
  });
  it("lists only the days off still to come, in order", () => {
    const ex = { "2026-12-01": [], "2026-11-01": [], "2026-11-25": [{ from: "10:00", to: "12:00" }] };
    expect(upcoming(ex, "2026-11-22").map(([d]) => d)).toEqual(["2026-11-25", "2026-12-01"]);
  });
});
