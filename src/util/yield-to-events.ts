/**
 * Lets pending events (a signal's handler, I/O callbacks) run before going on:
 * setImmediate in Node, a zero timeout in a browser tab, which has no setImmediate.
 */
export function yieldToEvents(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => {
    if (immediate) immediate(resolve);
    else setTimeout(resolve, 0);
  });
}
