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
