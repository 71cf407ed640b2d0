/**
 * Long-form decoding, the way OpenAI's reference `transcribe()` does it: decode a 30 s window
 * with timestamp tokens, keep the segments that closed inside it, and start the next window
 * where the last closed segment ended. Nothing is decoded twice and nothing is skipped, so
 * window boundaries cannot duplicate or drop words (unlike overlapping chunks + stride merging,
 * which has to guess how to stitch two different decodings of the same audio).
 */
import { TIME_PRECISION_S } from '../audio/constants';

export interface TokenInfo {
  /** First timestamp token id (`<|0.00|>`). */
  timestampBegin: number;
  /** End-of-text token id. */
  eot: number;
}

export interface WindowPiece {
  /** Seconds relative to the window start. */
  start: number;
  end: number;
  tokens: number[];
}

export interface WindowResult {
  pieces: WindowPiece[];
  /** Seconds of this window's audio that are settled; the next window starts here. */
  advance: number;
}

/**
 * Split one window's generated tokens (prefix already removed) into timed pieces.
 * @param windowSeconds how much real audio the window held (≤ 30 s; shorter at the end)
 */
export function splitWindow(generated: readonly number[], info: TokenInfo, windowSeconds: number): WindowResult {
  const result = splitRaw(generated, info, windowSeconds);
  // A model is not bound to emit sane times: keep every piece inside the window and in order.
  let floor = 0;
  for (const p of result.pieces) {
    p.start = Math.min(Math.max(p.start, floor), windowSeconds);
    p.end = Math.min(Math.max(p.end, p.start), windowSeconds);
    floor = p.end;
  }
  return result;
}

function splitRaw(generated: readonly number[], info: TokenInfo, windowSeconds: number): WindowResult {
  const tokens = generated.filter((t) => t !== info.eot);
  const isTs = (t: number) => t >= info.timestampBegin;
  const time = (t: number) => (t - info.timestampBegin) * TIME_PRECISION_S;

  const singleTimestampEnding =
    tokens.length >= 2 && !isTs(tokens[tokens.length - 2]) && isTs(tokens[tokens.length - 1]);
  // Indices where a timestamp follows a timestamp: a segment closed and the next one opened.
  const consecutive: number[] = [];
  for (let i = 1; i < tokens.length; i++) if (isTs(tokens[i]) && isTs(tokens[i - 1])) consecutive.push(i);

  const pieces: WindowPiece[] = [];
  if (consecutive.length > 0) {
    const cuts = singleTimestampEnding ? [...consecutive, tokens.length] : consecutive;
    let last = 0;
    for (const cut of cuts) {
      const slice = tokens.slice(last, cut);
      const text = slice.filter((t) => !isTs(t));
      if (text.length > 0) {
        pieces.push({ start: time(slice[0]), end: time(slice[slice.length - 1]), tokens: text });
      }
      last = cut;
    }
    if (singleTimestampEnding) return { pieces, advance: windowSeconds };
    // Resume where the last closed segment ended (openai/whisper: `last_timestamp_pos`).
    const resume = time(tokens[consecutive[consecutive.length - 1] - 1]);
    // A model that never moves forward would loop forever; always make progress.
    return { pieces, advance: resume > 0 ? Math.min(resume, windowSeconds) : windowSeconds };
  }

  // No closed segment pair: the whole window is one segment.
  const timestamps = tokens.filter(isTs);
  let end = windowSeconds;
  if (timestamps.length > 0 && timestamps[timestamps.length - 1] !== info.timestampBegin) {
    end = Math.min(time(timestamps[timestamps.length - 1]), windowSeconds);
  }
  const text = tokens.filter((t) => !isTs(t));
  const start = isTs(tokens[0] ?? -1) ? time(tokens[0]) : 0;
  if (text.length > 0) pieces.push({ start: Math.min(start, end), end, tokens: text });
  return { pieces, advance: windowSeconds };
}
