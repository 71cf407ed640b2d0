/**
 * What a file's long-form decode reads: with voice activity, speech plus margins with long pauses
 * shortened, the speech regions and the pauses between them in the shortened audio; without, the
 * level-based pause compaction and no regions (no coverage check).
 */
import { compactPauses, compactRanges, levelKeptRanges, toCompactSamples } from '../../../src/domain/audio/pauses';
import { keptRanges, pauseMidpoints, speechRegions, unionRanges, type Range } from '../../../src/domain/audio/speech-regions';

export function planAudio(original: Float32Array, speech: Float32Array | undefined) {
  if (!speech) {
    const { audio, spans } = compactPauses(original);
    const pauses = spans.slice(1).map((s) => s.compactStart);
    return { audio, spans, regions: [] as Range[], pauses };
  }
  const found = speechRegions(speech, original.length);
  // Audio is dropped only where the VAD and the signal level both say pause: Silero misses
  // quiet or clipped words now and then, and a word cut out of the audio is lost for good.
  const kept = unionRanges(keptRanges(found, original.length), found.length ? levelKeptRanges(original) : []);
  if (kept.length === 0) return { audio: new Float32Array(0), spans: [{ start: 0, compactStart: 0, length: 0 }], regions: [], pauses: [] };
  const { audio, spans } = compactRanges(original, kept);
  const regions = found.map((r) => ({ start: toCompactSamples(spans, r.start), end: toCompactSamples(spans, r.end) }));
  return { audio, spans, regions, pauses: pauseMidpoints(regions) };
}
