// The header's one line about sync: online and live, syncing, loading a new clinic, or
// offline with its reason — and how many of this machine's changes wait to be sent.
import type { SyncView } from "./bindings";
import { clinicClock } from "./clock";
import { counted, t, type Lang } from "./i18n";

export interface SyncLine {
  text: string;
  tone: "ok" | "busy" | "warn";
  detail: string;
}

/** The sync line for `state`; before the loop's first report, `pending` from the status. */
export function syncLine(lang: Lang, state: SyncView | null, pending: number): SyncLine {
  const waiting = state?.pending ?? pending;
  const queue = waiting > 0 ? ` · ${counted(lang, "changesToSend", waiting)}` : "";
  const last = state?.last_sync ? ` · ${t(lang, "lastSync")} ${clinicClock(lang, state.last_sync)}` : "";
  const server = state?.server ?? "";
  if (state?.bootstrap) {
    const [done, total] = state.bootstrap;
    return { text: `⇅ ${t(lang, "loadingClinic")} ${done}/${total}`, tone: "busy", detail: server };
  }
  if (state?.syncing) {
    return { text: `⇅ ${t(lang, "syncing")}${queue}`, tone: "busy", detail: server };
  }
  if (state?.online) {
    const how = state.live ? t(lang, "live") : t(lang, "online");
    return { text: `● ${how}${queue}${last}`, tone: "ok", detail: server };
  }
  return {
    text: `○ ${t(lang, "offlineNow")}${queue}${last}`,
    tone: "warn",
    detail: state?.error ?? server,
  };
}

/**
 * The header's line about the clinic's other machines on the LAN: how many answer directly
 * (with or without the server), or null when none was found. The node ids are the detail.
 */
export function lanLine(lang: Lang, state: SyncView | null): SyncLine | null {
  const found = state?.lan ?? [];
  if (found.length === 0) return null;
  const reachable = found.filter((m) => m.reachable).length;
  return {
    text: `⇄ ${counted(lang, "lanMachines", reachable)}`,
    tone: reachable > 0 ? "ok" : "warn",
    detail: found.map((m) => `${m.node} ${m.reachable ? "✓" : "✗"}`).join("\n"),
  };
}
