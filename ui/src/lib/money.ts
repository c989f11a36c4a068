// Money arrives from the core as integer minor units (piastres); the screens only format it.

/** 123456 → "1,234.56" (Western digits, as on the printed reports). */
export function formatMoney(minor: number): string {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(minor));
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${whole}.${(abs % 100).toString().padStart(2, "0")}`;
}

/** Piastres as a person types an amount: "1234.50", no grouping (a field's first value). */
export function plainMoney(minor: number): string {
  return formatMoney(minor).replaceAll(",", "");
}

/** One bar of the revenue chart. */
export interface Bar {
  label: string;
  value: number;
  height: number;
}

/** Bars scaled so the largest fills `height` pixels; negatives (refund-heavy days) sit at 0. */
export function bars(buckets: { start: string; revenue: number }[], height: number): Bar[] {
  const max = Math.max(1, ...buckets.map((b) => b.revenue));
  return buckets.map((b) => ({
    label: b.start,
    value: b.revenue,
    height: Math.max(0, Math.round((b.revenue / max) * height)),
  }));
}
