/**
 * Whisper invents text on silence ("Thank you.", "Subtitles by…"), and decoding a silent
 * 30 s window costs as much as a spoken one. A window whose loudest 100 ms stays below this
 * level is treated as silence and not sent to the model.
 */
export const SILENCE_DBFS = -50;
const BLOCK_SAMPLES = 1600; // 100 ms at 16 kHz

export function isSilent(samples: Float32Array, thresholdDbfs = SILENCE_DBFS): boolean {
  const threshold = 10 ** (thresholdDbfs / 20);
  const thresholdSq = threshold * threshold;
  for (let from = 0; from < samples.length; from += BLOCK_SAMPLES) {
    const to = Math.min(samples.length, from + BLOCK_SAMPLES);
    let sum = 0;
    for (let i = from; i < to; i++) sum += samples[i] * samples[i];
    if (sum / (to - from) > thresholdSq) return false;
  }
  return true;
}
