// What the screens need beside the generated commands (./bindings.ts): errors, events and
// the one command that answers bytes. Every check of who may do what happens in the core; a
// refusal comes back as { code, message } with the message in the person's language.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { commands, type SyncView, type UiError } from "./bindings";

export function errorText(err: unknown): string {
  if (err && typeof err === "object" && "message" in err) return String((err as UiError).message);
  return String(err);
}

/** The names of the clinic's visit types (examination, follow-up and its own), for a select. */
export async function visitTypeNames(): Promise<string[]> {
  return (await commands.visitTypes()).map((v) => v.name);
}

/**
 * A visit's photo (its thumbnail, or the stored image) as bytes. The one command outside the
 * generated bindings: it answers raw bytes, not JSON, which specta cannot describe.
 */
export function photo(name: string, full: boolean): Promise<ArrayBuffer | number[]> {
  return invoke<ArrayBuffer | number[]>("photo", { name, full });
}

/** Runs `reload` whenever the core reports a change (a write here, in another window, a sync). */
export function onChanged(reload: () => void): Promise<() => void> {
  return listen("changed", () => reload());
}

/** Runs `update` with each state the sync loop reports. */
export function onSyncState(update: (s: SyncView) => void): Promise<() => void> {
  return listen<SyncView>("sync-state", (e) => update(e.payload));
}
