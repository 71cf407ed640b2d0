/**
 * 16-bit PCM WAV, the one format every audio tool opens. Written here: a 44-byte header is
 * simpler than any dependency, and the recording path needs the header separately from the
 * samples (they are streamed to a file as the session goes).
 */

export function floatToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    out[i] = Math.round(s < 0 ? s * 0x8000 : s * 0x7fff);
  }
  return out;
}

export function wavHeader(sampleCount: number, sampleRate: number, channels = 1): ArrayBuffer {
  const bytesPerSample = 2;
  const dataBytes = sampleCount * channels * bytesPerSample;
  const b = new ArrayBuffer(44);
  const v = new DataView(b);
  const ascii = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true); // fmt chunk size
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * bytesPerSample, true);
  v.setUint16(32, channels * bytesPerSample, true);
  v.setUint16(34, bytesPerSample * 8, true);
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  return b;
}
