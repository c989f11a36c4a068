import { afterEach, describe, expect, it } from "vitest";
import { clinicClock, clinicDay, clinicMoment, setClinicZone } from "./clock";

// 2026-11-23 23:30 UTC: already the 24th, 01:30, in Cairo (UTC+2 in November).
const LATE = Date.UTC(2026, 10, 23, 23, 30) / 1000;

describe("the clinic's clock", () => {
  afterEach(() => setClinicZone("Africa/Cairo"));

  it("puts a late payment on the clinic's day, not this computer's", () => {
    setClinicZone("Africa/Cairo");
    expect(clinicDay(LATE)).toBe("2026-11-24");
    expect(clinicClock("en", LATE)).toBe("01:30");
    expect(clinicClock("ar", LATE)).toBe("01:30");
    expect(clinicMoment("en", LATE)).toBe("2026-11-24 01:30");
  });

  it("follows the zone the clinic is set to", () => {
    setClinicZone("America/New_York");
    expect(clinicDay(LATE)).toBe("2026-11-23");
    expect(clinicClock("en", LATE)).toBe("18:30");
  });

  it("reads an unknown zone as Cairo's rather than failing to draw", () => {
    setClinicZone("Mars/Olympus");
    expect(clinicClock("en", LATE)).toBe("01:30");
    expect(clinicDay(LATE)).toBe("2026-11-24");
  });

  it("ignores an empty zone (a status before the clinic is open)", () => {
    setClinicZone("America/New_York");
    setClinicZone("");
    expect(clinicClock("en", LATE)).toBe("18:30");
  });
});
