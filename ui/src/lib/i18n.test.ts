import { describe, expect, it } from "vitest";
import { counted, dictionaries, dir, t, termOf } from "./i18n";
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

describe("counted phrases", () => {
  it("take each of Arabic's six plural forms: 0, 1, 2, 3–10, 11–99 and 100+", () => {
    const said = [0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 103, 111].map((n) => counted("ar", "patientsWaiting", n));
    expect(said).toEqual([
      "لا أحد في الانتظار",
      "مريض واحد في الانتظار",
      "مريضان في الانتظار",
      "3 مرضى في الانتظار",
      "10 مرضى في الانتظار",
      "11 مريضًا في الانتظار",
      "99 مريضًا في الانتظار",
      "100 مريض في الانتظار",
      "101 مريض في الانتظار",
      "102 مريض في الانتظار",
      // Past a hundred the forms come round again: 103 as 3, 111 as 11.
      "103 مرضى في الانتظار",
      "111 مريضًا في الانتظار",
    ]);
    expect(counted("ar", "minutes", 2)).toBe("دقيقتان");
    expect(counted("ar", "changesToSend", 5)).toBe("5 تغييرات لم تُرسل");
  });

  it("take English's two", () => {
    expect(counted("en", "changesToSend", 1)).toBe("1 change to send");
    expect(counted("en", "changesToSend", 2)).toBe("2 changes to send");
    expect(counted("en", "minutes", 20)).toBe("20 min");
  });

  it("exist in both languages for every count, each with its `other` form", () => {
    for (const key of ["changesToSend", "minutes", "patientsWaiting"] as const) {
      for (const lang of ["en", "ar"] as const) {
        expect(counted(lang, key, 7).length, `${lang} ${key}`).toBeGreaterThan(0);
      }
      expect(counted("ar", key, 7)).toMatch(/[\u0600-\u06FF]/);
    }
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
