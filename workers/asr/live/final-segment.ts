/**
 * A live utterance's final text as a segment with what a file's segments carry: the figures and
 * word timings of one alignment pass over the encoder output the text came from (or words
 * spread over the speech, flagged approximate, for a model that cannot align), times on the
 * session clock, and the speaker when speakers are on.
 */
import type { Tensor } from '@huggingface/transformers';
import { WHISPER_SAMPLE_RATE_HZ } from '../../../src/domain/audio/constants';
import { speakerId } from '../../../src/domain/diarization/assign';
import type { OnlineSpeakers } from '../../../src/domain/diarization/online';
import type { Segment } from '../../../src/domain/transcript/types';
import type { Diarizer } from '../diarization/diarize';
import type { Task } from '../protocol';
import type { WhisperEngine } from '../whisper/engine';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export interface FinalText {
  ids: number[];
  language: string;
  encoderOutputs: Tensor;
  /** Session seconds where the utterance starts and ends. */
  start: number;
  end: number;
  /** The samples the text was decoded from (from `start`). */
  audio: Float32Array;
  /** The utterance's own speech, for its speaker's voice. */
  speech: Float32Array | undefined;
}

export async function finalSegment(
  engine: WhisperEngine,
  task: Task,
  f: FinalText,
  speakers: { embedder: Pick<Diarizer, 'embedAudio'>; online: OnlineSpeakers } | null,
): Promise<Segment | null> {
  const text = engine.decode(f.ids);
  if (!text.trim()) return null;
  const heard = f.audio.length;
  const scored = await engine.scoreText(f.encoderOutputs, f.ids, f.language, task, heard, [], f.audio).catch(() => null);
  const segment: Segment = { start: f.start, end: f.end, text };
  // A model that gives no alignment: the words spread over the utterance's speech, flagged approximate.
  const words = scored ? scored.words : engine.spreadWords(f.ids, f.language, { start: 0, end: heard / WHISPER_SAMPLE_RATE_HZ }, f.audio, 1);
  if (scored) {
    const { words: _, ...figures } = scored;
    Object.assign(segment, figures);
  }
  if (words.length) segment.words = words.map((w) => ({ ...w, start: round3(f.start + w.start), end: round3(Math.min(segment.end, f.start + w.end)) }));
  if (speakers) {
    const speech = f.speech ?? new Float32Array(0);
    const embedding = await speakers.embedder.embedAudio(speech).catch(() => null);
    if (embedding) segment.speaker = speakerId(speakers.online.assign(embedding, speech.length / WHISPER_SAMPLE_RATE_HZ));
  }
  return segment;
}
