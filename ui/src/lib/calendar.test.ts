import { describe, expect, it } from "vitest";
import { addDays, dayHeading, longDate, overlapping, weekOf } from "./calendar";

describe("calendar dates", () => {
  it("moves across month and year ends", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
  });
  it("starts the week on Saturday", () => {
    // 2026-11-22 is a Sunday: its week runs Saturday 21 to Friday 27.
    expect(weekOf("2026-11-22")).toEqual([
      "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27",
    ]);
    expect(weekOf("2026-11-21")[0]).toBe("2026-11-21");
    expect(weekOf("2026-11-27")[6]).toBe("2026-11-27");
  });
  it("marks only overlapping bookings", () => {
    const ids = overlapping([
      { kind: "overlapping-bookings", ids: ["a", "b"] },
      { kind: "late-payment", ids: ["c"] },
    ]);
    expect([...ids].sort()).toEqual(["a", "b"]);
  });
});

describe("dates as people read them", () => {
  it("puts the weekday and the day before the month", () => {
    // ICU versions differ on the comma after the weekday.
    expect(longDate("2026-11-22", "en")).toMatch(/^Sunday,? 22 November 2026$/);
    expect(longDate("2026-11-22", "ar")).toContain("الأحد");
    expect(longDate("2026-11-22", "ar")).toContain("نوفمبر");
  });
  it("writes Arabic dates in the digits the money and the times are written in", () => {
    // Egypt's Arabic locale would write ٢٢ and ٢٠٢٦ beside 10:15 and 280.00 on one screen.
    expect(longDate("2026-11-22", "ar")).toMatch(/\b22\b.*\b2026\b/);
    expect(longDate("2026-11-22", "ar")).not.toMatch(/[\u0660-\u0669]/);
  });
  it("heads a calendar column with the weekday and the day of the month, not an ISO date", () => {
    expect(dayHeading("2026-11-23", "en")).toMatch(/^Monday,? 23 Nov$/);
    const ar = dayHeading("2026-11-23", "ar");
    expect(ar).toContain("الاثنين");
    expect(ar).toContain("نوفمبر");
    expect(ar).toMatch(/\b23\b/);
    expect(ar).not.toContain("2026");
    expect(ar).not.toMatch(/[\u0660-\u0669]/);
  });
  it("says nothing for an empty date", () => {
    expect(longDate("", "en")).toBe("");
    expect(dayHeading("", "ar")).toBe("");
  });
});

import { blockOf, gridRows } from "./calendar";

describe("the time grid", () => {
  it("spans the earliest start to the latest end in steps of a slot", () => {
    expect(gridRows(["10:00", "10:40"], [11 * 60], 20)).toEqual(["10:00", "10:20", "10:40"]);
    expect(gridRows(["17:00", "09:30"], [9 * 60 + 50], 20)[0]).toBe("09:30");
    expect(gridRows([], [], 20)).toEqual([]);
  });
  it("places a booking on its row, as tall as its length", () => {
    const rows = gridRows(["10:00"], [12 * 60], 20);
    expect(blockOf("10:40", 20, rows, 20)).toEqual({ row: 2, span: 1 });
    expect(blockOf("10:50", 45, rows, 20)).toEqual({ row: 2, span: 3 });
  });
});
