/**
 * How a file's windows are decoded. `text-where-possible`: a window that ends in a pause is
 * decoded as text only and the word timings time its segments; `timestamps`: Whisper's timestamp
 * tokens in every window, as OpenAI and faster-whisper decode.
 */
export type DecodingMode = 'text-where-possible' | 'timestamps';

/**
 * Auto's decoding mode, by the rule Auto's precision follows (docs/accuracy.md, "Precisions"):
 * the best text at a speed within 10 % of the fastest, per model, on WASM.
 * - Multilingual models, Fast: timestamps. whisper-base q8, Fast: WER 8.6 % against 10.0 % (en)
 *   and CER 55.6 % against 60.8 % (zh); speed, interleaved runs: 0.91× on en, 1.12× on zh
 *   (fewer temperature fallbacks), 1.03× over both.
 * - English-only models: text where possible. tiny.en q8, Fast: 10.4 % against 11.4 % with
 *   timestamps, and faster.
 * - Best (5 beams): text where possible. base, Best: timestamps 6.8 % against 7.5 % on en at
 *   0.84× the speed, 53.8 % against 51.4 % on zh at 0.71×.
 */
export function autoDecodingMode(multilingual: boolean, accuracy: 'fast' | 'best'): DecodingMode {
  return multilingual && accuracy === 'fast' ? 'timestamps' : 'text-where-possible';
}
