// The Tauri commands the screens call. Every check of who may do what happens in the core;
// a refusal comes back as { code, message } with the message in the person's language.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

export interface UiError {
  code: string;
  message: string;
}

export function errorText(err: unknown): string {
  if (err && typeof err === "object" && "message" in err) return String((err as UiError).message);
  return String(err);
}

export function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  return invoke<T>(command, args);
}

/** The names of the clinic's visit types (examination, follow-up and its own), for a select. */
export async function visitTypeNames(): Promise<string[]> {
  return (await call<{ name: string }[]>("visit_types")).map((v) => v.name);
}

/** Runs `reload` whenever the core reports a change (a write here, in another window, a sync). */
export function onChanged(reload: () => void): Promise<() => void> {
  return listen("changed", () => reload());
}

/** The background sync loop's state, as the core reports it. */
export interface SyncView {
  enrolled: boolean;
  server: string | null;
  online: boolean;
  live: boolean;
  syncing: boolean;
  pending: number;
  last_sync: number | null;
  error: string | null;
  bootstrap: [number, number] | null;
}

/** Runs `update` with each state the sync loop reports. */
export function onSyncState(update: (s: SyncView) => void): Promise<() => void> {
  return listen<SyncView>("sync-state", (e) => update(e.payload));
}
