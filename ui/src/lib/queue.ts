// The front desk's queue: how long a waiting patient has been waiting.

export interface QueueTimes {
  status: string;
  /** Unix seconds the booking starts (a walk-in: when they came). */
  starts_at: number;
  /** Unix seconds the patient checked in; absent for bookings made before it was recorded. */
  arrived_at?: number | null;
}

/** Whole minutes a patient in the waiting room has waited at `nowSeconds`, counted from
 * their check-in (from the booked time only when the check-in time is unknown); null for
 * anyone not waiting. */
export function waitingMinutes(row: QueueTimes, nowSeconds: number): number | null {
  if (row.status !== "arrived") return null;
  const since = row.arrived_at ?? row.starts_at;
  return Math.max(0, Math.floor((nowSeconds - since) / 60));
}

export interface QueueDoctor { login: string; name: string; waiting: number; total: number }

/** The doctors of a day's queue, by name, each with how many of their patients are in the
 * waiting room and how many bookings they have: the desk's tabs, one queue per doctor. */
export function doctorsOf(rows: (QueueTimes & { doctor: string; doctor_name: string })[]): QueueDoctor[] {
  const by = new Map<string, QueueDoctor>();
  for (const r of rows) {
    const d = by.get(r.doctor) ?? { login: r.doctor, name: r.doctor_name, waiting: 0, total: 0 };
    d.total += 1;
    if (r.status === "arrived") d.waiting += 1;
    by.set(r.doctor, d);
  }
  return [...by.values()].sort((a, b) => a.name.localeCompare(b.name));
}
