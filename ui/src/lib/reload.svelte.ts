import { untrack } from "svelte";

/**
 * Runs `load` now and again whenever the core reports a change (`tick` moves: a write here,
 * in another window, or a sync), and never because of the screen's own state, so what the
 * person is typing stays. Call it while the component is being set up.
 */
export function reloadOn(tick: () => number, load: () => unknown): void {
  $effect(() => {
    tick();
    untrack(() => void load());
  });
}
