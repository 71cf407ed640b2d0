/**
 * One ONNX Runtime `run` at a time in this worker. Whisper (WASM or WebGPU) and Silero VAD share
 * one onnxruntime-web instance; on WebGPU a run suspends inside wasm (asyncify), and a second run
 * entering the module meanwhile corrupts it. Live transcription calls the VAD between Whisper's
 * decoder steps, so every session run goes through this queue.
 */
let tail: Promise<unknown> = Promise.resolve();

export function withOrtLock<T>(fn: () => Promise<T>): Promise<T> {
  const run = tail.then(fn, fn);
  tail = run.catch(() => {});
  return run;
}
