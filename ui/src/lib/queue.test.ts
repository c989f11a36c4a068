import { describe, expect, it } from "vitest";
import { doctorsOf, waitingMinutes } from "./queue";

describe("waiting time", () => {
  const booked = 1_800_000_000;
  it("counts from the check-in, not from the booked time", () => {
    // Booked for 10:00, came at 10:20, now 10:45: waited 25 minutes, not 45.
    const row = { status: "arrived", starts_at: booked, arrived_at: booked + 20 * 60 };
    expect(waitingMinutes(row, booked + 45 * 60)).toBe(25);
  });
  it("counts a patient who came early from when they came", () => {
    const row = { status: "arrived", starts_at: booked, arrived_at: booked - 30 * 60 };
    expect(waitingMinutes(row, booked - 5 * 60)).toBe(25);
  });
  it("falls back to the booked time for old bookings", () => {
    expect(waitingMinutes({ status: "arrived", starts_at: booked }, booked + 600)).toBe(10);
  });
  it("says nothing for patients not in the waiting room", () => {
    for (const status of ["booked", "in-exam", "done", "requested"]) {
      expect(waitingMinutes({ status, starts_at: booked, arrived_at: booked }, booked + 600)).toBeNull();
    }
  });
});

describe("one queue per doctor", () => {
  it("counts each doctor's bookings and patients waiting", () => {
    const row = (doctor: string, doctor_name: string, status: string) => ({ doctor, doctor_name, status, starts_at: 0 });
    expect(doctorsOf([
      row("dr.sara", "Sara", "arrived"), row("dr.karim", "Karim", "booked"),
      row("dr.sara", "Sara", "done"), row("dr.sara", "Sara", "arrived"),
    ])).toEqual([
      { login: "dr.karim", name: "Karim", waiting: 0, total: 1 },
      { login: "dr.sara", name: "Sara", waiting: 2, total: 3 },
    ]);
  });
});
