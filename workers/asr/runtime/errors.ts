import type { AsrErrorName } from '../protocol';

/** An error that crosses comlink with its kind in `name` (the page branches on it). */
export function asrError(name: AsrErrorName, message: string, cause?: unknown): Error {
  const e = new Error(message, { cause });
  e.name = name;
  return e;
}
