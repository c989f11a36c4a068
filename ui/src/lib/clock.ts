// Times are stored in UTC and read in the clinic's time zone: a payment at 01:30 in Cairo
// belongs to that Cairo day, whatever zone this computer's own clock is set to. The zone
// comes from the core with the app's status (the clinic's own setting).
import { localeOf, type Lang } from "./i18n";

const DEFAULT_ZONE = "Africa/Cairo";
let zone = DEFAULT_ZONE;

/** Takes the clinic's zone from the core's status. Only stored: checking it here would load
 * ICU's zone data into the window on the login screen, before any time is shown (3 MB). */
export function setClinicZone(name: string | null | undefined): void {
  if (name) zone = name;
}

/** Formats with the clinic's zone; one the web view does not know falls back to Cairo's. */
function inZone<T>(format: (timeZone: string) => T): T {
  try {
    return format(zone);
  } catch {
    return format(DEFAULT_ZONE);
  }
}

/** The clinic's calendar day of a moment, as the core writes days ("2026-11-24"). */
export function clinicDay(unixSeconds: number): string {
  // Put together from the parts, not from a locale's order: WebKitGTK's ICU writes en-CA
  // month first ("11/28/2026"), where Node's writes it year first.
  return inZone((timeZone) => {
    const parts = new Intl.DateTimeFormat("en", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(new Date(unixSeconds * 1000));
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
    return `${part("year")}-${part("month")}-${part("day")}`;
  });
}

/** The clinic's clock at a moment ("01:30"). */
export function clinicClock(lang: Lang, unixSeconds: number): string {
  return inZone((timeZone) => new Date(unixSeconds * 1000).toLocaleTimeString(localeOf(lang), {
    timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }));
}

/** A moment as a person reads it, day and time, in the clinic's zone. */
export function clinicMoment(lang: Lang, unixSeconds: number): string {
  return `${clinicDay(unixSeconds)} ${clinicClock(lang, unixSeconds)}`;
}
