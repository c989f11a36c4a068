// The owner's form for a doctor's working hours.

/** The clinic week's day codes, Saturday first, as the core names them. */
export const DAYS = ["sat", "sun", "mon", "tue", "wed", "thu", "fri"] as const;

/** A Saturday, to name the days of `DAYS` through the date formatter. */
export const A_SATURDAY = "2026-11-21";

export interface Hours { from: string; to: string }

/** The ranges the owner filled in, in order; a range with only one end is an error (the
 * core would refuse it with a less precise sentence), an empty one is skipped. */
export function rangesOf(ranges: Hours[]): Hours[] | "half-range" {
  const out: Hours[] = [];
  for (const r of ranges) {
    const from = r.from.trim(), to = r.to.trim();
    if (!from && !to) continue;
    if (!from || !to) return "half-range";
    out.push({ from, to });
  }
  return out;
}

/** The days off and other hours from `today` on, by date. */
export function upcoming(exceptions: Record<string, Hours[]>, today: string): [string, Hours[]][] {
  return Object.entries(exceptions).filter(([d]) => d >= today).sort(([a], [b]) => a.localeCompare(b));
}
