/** Loudness per frame, in dB relative to full scale: the level-based detectors' common first step. */
export function frameLevelsDb(audio: Float32Array, frame: number, hop = frame, epsilon = 1e-12): Float64Array {
  const n = audio.length < frame ? 0 : Math.floor((audio.length - frame) / hop) + 1;
  const db = new Float64Array(n);
  for (let f = 0; f < n; f++) {
    let sum = 0;
    for (let i = f * hop, end = i + frame; i < end; i++) sum += audio[i] * audio[i];
    db[f] = 10 * Math.log10(sum / frame + epsilon);
  }
  return db;
}
