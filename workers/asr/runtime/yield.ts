/**
 * Let queued messages (a `cancel` from the UI, the page's watchdog ping) run between model runs.
 * ONNX Runtime's `run()` settles through microtasks only, so a loop of runs never gives the
 * worker's event loop a turn: a cancel would wait for the whole window, and a long loop (the VAD
 * over a whole file) would look like a hung worker. A MessageChannel round trip is used instead
 * of setTimeout, which browsers clamp to 4 ms when nested (that would add 4 ms to every token).
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
