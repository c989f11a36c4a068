// Which screens a role sees, and the keys that reach them. The core refuses what a role may
// not do anyway; this only keeps the header to what is useful.

export const SCREENS_FOR: Record<string, string[]> = {
  owner: ["today", "calendar", "patients", "cash", "owner", "settings"],
  receptionist: ["today", "calendar", "patients", "cash"],
  doctor: ["today", "calendar", "patients", "visit"],
};

/** The screen Alt+<digit> opens for `role` (Alt+1 the first in the header), or null. Digits
 * are read from the key's code, so an Arabic keyboard layout works the same. */
export function screenForKey(role: string, key: { altKey: boolean; ctrlKey: boolean; metaKey: boolean; code: string }): string | null {
  if (!key.altKey || key.ctrlKey || key.metaKey) return null;
  const m = /^(?:Digit|Numpad)([1-9])$/.exec(key.code);
  if (!m) return null;
  return SCREENS_FOR[role]?.[Number(m[1]) - 1] ?? null;
}
