// Dates of the calendar screen: clinic-local "YYYY-MM-DD" strings, computed without the
// computer's time zone (the core decides what "today" is in the clinic's zone).

import { localeOf } from "./i18n";

/** `date` moved by `days` (negative: back). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return t.toISOString().slice(0, 10);
}

/** The seven days of the clinic week holding `date`, Saturday first (as in Egypt). */
export function weekOf(date: string): string[] {
  const [y, m, d] = date.split("-").map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 = Sunday … 6 = Saturday
  const back = (weekday + 1) % 7; // days since Saturday
  return Array.from({ length: 7 }, (_, i) => addDays(date, i - back));
}

/** Ids of bookings that overlap another one of the same doctor (from the conflicts list). */
export function overlapping(conflicts: { kind: string; ids: string[] }[]): Set<string> {
  const ids = new Set<string>();
  for (const c of conflicts) if (c.kind === "overlapping-bookings") c.ids.forEach((id) => ids.add(id));
  return ids;
}

/** A clinic day ("2026-11-23") written in the person's language with `parts`; empty for an
 * empty or unreadable date. Noon UTC, formatted in UTC, is that day in every zone. */
function readDay(date: string, lang: "en" | "ar", parts: Intl.DateTimeFormatOptions): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return "";
  return new Date(date + "T12:00:00Z").toLocaleDateString(localeOf(lang), { ...parts, timeZone: "UTC" });
}

/** The weekday of `date` in the person's language ("Saturday", "السبت"). */
export function weekdayName(date: string, lang: "en" | "ar", style: "long" | "short" = "long"): string {
  return readDay(date, lang, { weekday: style });
}

/** A calendar column's heading: the weekday and the day of the month ("Monday 23 Nov",
 * "الاثنين، 23 نوفمبر"); the year is in the field above the columns. */
export function dayHeading(date: string, lang: "en" | "ar"): string {
  return readDay(date, lang, { weekday: "long", day: "numeric", month: "short" });
}

/** A date as a person reads it, weekday first ("Sunday 23 November 2026", "الأحد 23 نوفمبر
 * 2026"): shown beside date fields, which give the day, month and year only. */
export function longDate(date: string, lang: "en" | "ar"): string {
  return readDay(date, lang, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

/** Minutes since midnight of "HH:MM". */
export function minutesOf(time: string): number {
  const [h, m] = time.split(":").map(Number);
  return h * 60 + m;
}

/** "HH:MM" of minutes since midnight. */
export function timeOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** The time grid's rows: every `step` minutes from the earliest free slot or booking to the
 * end of the latest, over all the shown days (`starts` are "HH:MM", `ends` minutes). */
export function gridRows(starts: string[], ends: number[], step: number): string[] {
  if (starts.length === 0 || step <= 0) return [];
  const first = Math.min(...starts.map(minutesOf));
  const last = Math.max(...ends, first + step);
  const rows: string[] = [];
  for (let m = first; m < last; m += step) rows.push(timeOf(m));
  return rows;
}

/** Where a booking sits in the grid: its first row (0-based, rounded down to a row) and
 * how many rows it covers (at least one). */
export function blockOf(start: string, minutes: number, rows: string[], step: number): { row: number; span: number } {
  const first = rows.length ? minutesOf(rows[0]) : 0;
  const row = Math.max(0, Math.floor((minutesOf(start) - first) / step));
  return { row, span: Math.max(1, Math.ceil(minutes / step)) };
}
