import { describe, expect, it } from "vitest";
import { dictionaries, dir, t, termOf } from "./i18n";
import { bars, formatMoney } from "./money";

describe("labels", () => {
  it("exist in both languages, and Arabic ones are written in Arabic", () => {
    const en = Object.keys(dictionaries.en).sort();
    expect(Object.keys(dictionaries.ar).sort()).toEqual(en);
    for (const key of en) {
      const ar = dictionaries.ar[key as keyof typeof dictionaries.ar];
      expect(ar.length, key).toBeGreaterThan(0);
      if (key !== "language") expect(/[\u0600-\u06FF]/.test(ar), key).toBe(true);
    }
  });

  it("mirror the layout for Arabic only", () => {
    expect(dir("ar")).toBe("rtl");
    expect(dir("en")).toBe("ltr");
    expect(t("ar", "cash")).toBe("الخزينة");
  });

  it("name the core's values in the person's language", () => {
    expect(termOf("en", "status", "in-exam")).toBe("In exam");
    expect(termOf("ar", "role", "receptionist")).toBe("استقبال");
    expect(termOf("en", "method", "bitcoin")).toBe("bitcoin");
  });

  it("names the visit types every clinic starts with in the person's language, and keeps the clinic's own as typed", () => {
    expect(termOf("ar", "visit", "examination")).toBe("كشف");
    expect(termOf("ar", "visit", "follow-up")).toBe("استشارة");
    expect(termOf("en", "visit", "follow-up")).toBe("Follow-up");
    expect(termOf("ar", "visit", "جلسة علاج طبيعي")).toBe("جلسة علاج طبيعي");
  });
});

describe("money", () => {
  it("formats piastres with grouping, two decimals and a sign", () => {
    expect(formatMoney(0)).toBe("0.00");
    expect(formatMoney(35050)).toBe("350.50");
    expect(formatMoney(123456789)).toBe("1,234,567.89");
    expect(formatMoney(-4550)).toBe("-45.50");
  });

  it("scales revenue bars to the tallest and never below zero", () => {
    const b = bars(
      [
        { start: "2026-11-01", revenue: 1000 },
        { start: "2026-11-02", revenue: 500 },
        { start: "2026-11-03", revenue: -200 },
      ],
      100,
    );
    expect(b.map((x) => x.height)).toEqual([100, 50, 0]);
  });
});
