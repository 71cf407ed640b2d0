/** The pure parts of diarization: scoring, clustering, reconstruction, words to speakers, exports. */
import { describe, expect, it } from 'vitest';
import { assignSpeakers, setSpeaker, smoothSpeakers, speakerDuring, speakersOf, speakerSample } from '../../src/domain/diarization/assign';
import { assignWindow, cluster } from '../../src/domain/diarization/clustering';
import { diarizationError } from '../../src/domain/diarization/der';
import { overlapGroups, powersetActivity, tracksOf, windowStarts } from '../../src/domain/diarization/segmentation';
import { parseRttm, reconstruct, renumber, toRttm } from '../../src/domain/diarization/turns';
import { fillFromSpeech, loudRegions } from '../../src/domain/diarization/speech-fill';
import { labelSpeakers, type LocalStretch } from '../../src/domain/diarization/speakers';
import { toDocSegments } from '../../src/domain/transcript/document';
import { parseCues, speakerNames, toJson, toMarkdown, toSpeakerRttm, toSrt, toTxt, toVtt } from '../../src/domain/transcript/formats';
import type { Segment, Transcript, Word } from '../../src/domain/transcript/types';

const turn = (start: number, end: number, speaker: number) => ({ start, end, speaker });

describe('diarization error rate', () => {
  it('is zero for a perfect answer under any speaker names, and counts each kind of error', () => {
    const ref = [turn(0, 10, 0), turn(10, 20, 1)];
    expect(diarizationError(ref, [turn(0, 10, 5), turn(10, 20, 3)]).der).toBe(0);
    const e = diarizationError(ref, [turn(0, 10, 0), turn(10, 15, 0), turn(15, 20, 1)]);
    expect(e.confusion).toBeCloseTo(5, 1);
    expect(e.der).toBeCloseTo(0.25, 2);
    const missed = diarizationError(ref, [turn(0, 10, 0)]);
    expect(missed.missed).toBeCloseTo(10, 1);
    const fa = diarizationError(ref, [turn(0, 10, 0), turn(10, 20, 1), turn(20, 25, 1)], { duration: 25 });
    expect(fa.falseAlarm).toBeCloseTo(5, 1);
  });

  it('scores overlap (both speakers needed) and leaves the collar out', () => {
    const ref = [turn(0, 10, 0), turn(5, 15, 1)];
    const one = diarizationError(ref, [turn(0, 10, 0), turn(10, 15, 1)]);
    expect(one.total).toBeCloseTo(20, 1);
    expect(one.missed).toBeCloseTo(5, 1);
    // A boundary 0.2 s off costs nothing with a ±0.25 s collar, and 0.2 s without.
    const late = [turn(0, 10.2, 0), turn(10.2, 20, 1)];
    expect(diarizationError([turn(0, 10, 0), turn(10, 20, 1)], late, { collar: 0.25 }).der).toBe(0);
    expect(diarizationError([turn(0, 10, 0), turn(10, 20, 1)], late).confusion).toBeCloseTo(0.2, 1);
  });
});

function vec(seed: number, around: Float32Array | null, noise: number): Float32Array {
  let a = seed;
  const rand = () => ((a = (a * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  return Float32Array.from({ length: 32 }, (_, i) => (around ? around[i] : 0) + noise * rand());
}

describe('clustering embeddings into speakers', () => {
  const centres = [vec(1, null, 2), vec(2, null, 2), vec(3, null, 2)];
  const points = Array.from({ length: 30 }, (_, i) => vec(100 + i, centres[i % 3], 0.3));

  it('finds the number of speakers by threshold, or takes the number given', () => {
    const auto = cluster(points, { threshold: 0.4 });
    expect(new Set(auto).size).toBe(3);
    // Same speaker ⇔ same label.
    for (let i = 0; i < points.length; i++) for (let j = 0; j < points.length; j++) expect(auto[i] === auto[j]).toBe(i % 3 === j % 3);
    expect(new Set(cluster(points, { threshold: 0.4, count: { exactly: 2 } })).size).toBe(2);
    expect(new Set(cluster(points, { threshold: 0.4, count: { max: 2 } })).size).toBe(2);
    expect(new Set(cluster(points, { threshold: 0.4, count: { min: 5 } })).size).toBe(5);
  });

  it('never puts two voices heard at once in one window into one speaker', () => {
    // Both local speakers are closest to cluster 0; the one less like it goes to cluster 1.
    expect(assignWindow([[0.9, 0.2], [0.8, 0.6]])).toEqual([0, 1]);
    expect(assignWindow([[0.9, 0.2, 0.1]])).toEqual([0]);
  });
});

describe('a voice heard only over another (labelSpeakers)', () => {
  // Embeddings near one voice A (a unit vector with a little per-stretch variation); the stretches
  // of B are spoken over A's, so their embeddings mix both and sit near A too.
  const voice = (seed: number) => {
    const v = new Float32Array(16);
    v[0] = 1;
    v[1 + (seed % 15)] = 0.05;
    return v;
  };
  const session = (overWindows: number) => {
    const locals: LocalStretch[] = [];
    for (let w = 0; w < 8; w++) {
      // A speaks through every window, alone long enough to train the clustering.
      locals.push({ window: w, track: { speaker: 0, from: 0, to: 500, label: -1 }, embedding: voice(w), clean: true });
      // B speaks over A in the first windows.
      if (w < overWindows) locals.push({ window: w, track: { speaker: 1, from: 100, to: 300, label: -1 }, embedding: voice(w + 7), clean: false });
    }
    return locals;
  };

  it('is one more speaker when the segmentation hears it over the first in enough windows, with an unsure count', () => {
    const locals = session(6);
    const { speakers, likely } = labelSpeakers(locals);
    expect(speakers).toBe(2);
    expect(likely).toEqual({ min: 1, max: 2 });
    for (const l of locals) expect(l.track.label, `window ${l.window}, local ${l.track.speaker}`).toBe(l.track.speaker);
  });

  it('stays with the voice it is nearest in a few windows, and where the user allows one speaker', () => {
    const few = session(2);
    expect(labelSpeakers(few).speakers).toBe(1);
    expect(few.every((l) => l.track.label === 0)).toBe(true);
    expect(labelSpeakers(session(6), { count: { max: 1 } }).speakers).toBe(1);
  });
});

describe('segmentation output to turns', () => {
  it('places windows to the end of the audio', () => {
    expect(windowStarts(100_000, 32_000)).toEqual([0]);
    expect(windowStarts(250_000, 32_000)).toEqual([0, 32_000, 64_000, 90_000]);
  });

  it('reads the powerset classes as speakers, overlap included', () => {
    const logits = new Float32Array(3 * 7).fill(-10);
    logits[0 * 7 + 1] = 0; // s1
    logits[1 * 7 + 4] = 0; // s1+s2
    logits[2 * 7 + 0] = 0; // nobody
    const a = powersetActivity(logits, 3);
    expect([...a[0]]).toEqual([1, 1, 0]);
    expect([...a[1]]).toEqual([0, 1, 0]);
    expect([...a[2]]).toEqual([0, 0, 0]);
  });

  it('splits a local speaker at pauses and groups stretches heard together', () => {
    const act = Uint8Array.from([1, 1, 0, 1, 0, 0, 0, 1, 1]);
    expect(tracksOf(act, 3)).toEqual([{ from: 0, to: 4 }, { from: 7, to: 9 }]);
    expect(overlapGroups([{ speaker: 0, from: 0, to: 10 }, { speaker: 1, from: 5, to: 12 }, { speaker: 0, from: 20, to: 30 }])).toEqual([[0, 1], [2]]);
  });

  it('turns per-window activity with cluster labels into turns across windows', () => {
    const frames = 589;
    const on = (from: number, to: number) => Uint8Array.from({ length: frames }, (_, f) => (f >= from && f < to ? 1 : 0));
    // Two windows 2 s apart (118.5 frames): speaker A early, B late; local slots swap between windows.
    const w1 = { start: 0, activity: [on(0, 300), on(350, 589), on(0, 0)], tracks: [{ speaker: 0, from: 0, to: 300, label: 0 }, { speaker: 1, from: 350, to: 589, label: 1 }] };
    const w2 = { start: 32_000, activity: [on(232, 470), on(0, 182), on(0, 0)], tracks: [{ speaker: 0, from: 232, to: 470, label: 1 }, { speaker: 1, from: 0, to: 182, label: 0 }] };
    const { turns, speakers } = renumber(reconstruct([w1, w2], 192_000, 2));
    expect(speakers).toBe(2);
    expect(turns.map((t) => t.speaker)).toEqual([0, 1]);
    expect(turns[0].start).toBeCloseTo(0, 1);
    expect(turns[0].end).toBeCloseTo(5.1, 0);
    expect(turns[1].start).toBeCloseTo(5.95, 0);
  });

  it('writes and reads RTTM', () => {
    const text = toRttm('my file', [{ start: 1, end: 2.5, name: 'Dr. Lee' }, { start: 3, end: 4, name: 'Sam' }]);
    expect(text).toBe('SPEAKER my_file 1 1.000 1.500 <NA> <NA> Dr._Lee <NA> <NA>\nSPEAKER my_file 1 3.000 1.000 <NA> <NA> Sam <NA> <NA>\n');
    const back = parseRttm(text).get('my_file')!;
    expect(back.names).toEqual(['Dr._Lee', 'Sam']);
    expect(back.turns).toEqual([turn(1, 2.5, 0), turn(3, 4, 1)]);
  });
});

const w = (word: string, start: number, end: number): Word => ({ word, start, end, probability: 0.9 });

describe('words to speakers', () => {
  it('gives a word to whoever talks most during it, else the nearest turn', () => {
    const turns = [turn(0, 5, 0), turn(4.5, 9, 1)];
    expect(speakerDuring(turns, 4.6, 5.5)).toBe(1);
    expect(speakerDuring(turns, 9.3, 9.6)).toBe(1);
    expect(speakerDuring(turns, 20, 21)).toBeNull();
  });

  it('smooths a stray word and moves a change inside a sentence to its end', () => {
    const words = [w(' I', 0, 0.2), w(' think', 0.2, 0.5), w(' so', 0.5, 0.7), w(' too.', 0.7, 1), w(' Yes', 1.5, 1.8), w(' indeed.', 1.8, 2.2)];
    expect(smoothSpeakers(words, [0, 0, 1, 0, 1, 1])).toEqual([0, 0, 0, 0, 1, 1]);
    // "too." was heard on speaker 1, but the sentence is speaker 0's.
    expect(smoothSpeakers(words, [0, 0, 0, 1, 1, 1])).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('cuts segments where the speaker changes, keeping words, times and ids', () => {
    const segs = toDocSegments([
      { start: 0, end: 4, text: ' Hello there. How are you?', words: [w(' Hello', 0, 0.5), w(' there.', 0.5, 1), w(' How', 2, 2.3), w(' are', 2.3, 2.6), w(' you?', 2.6, 3)] },
      { start: 4, end: 6, text: ' Fine.', words: [w(' Fine.', 4.2, 4.8)] },
      { start: 6, end: 7, text: ' (no words)' },
    ]);
    const out = assignSpeakers(segs, [turn(0, 1.2, 0), turn(1.8, 3.1, 1), turn(4, 7, 0)]);
    expect(out.map((s) => [s.text, s.speaker])).toEqual([
      [' Hello there.', 'S1'],
      [' How are you?', 'S2'],
      [' Fine.', 'S1'],
      [' (no words)', 'S1'],
    ]);
    expect(out[0].id).toBe(segs[0].id);
    expect(new Set(out.map((s) => s.id)).size).toBe(4);
    expect(out[1].start).toBe(2);
    expect(out[0].end).toBe(1);
    expect(speakersOf(out)).toEqual(['S1', 'S2']);
    const moved = setSpeaker(out, out[2].id, 'S2');
    expect(moved[2].speaker).toBe('S2');
    expect(moved[0]).toBe(out[0]);
    expect(speakerSample(out, 'S2')).toEqual({ start: 2, end: 3 });
  });
});

describe('exports with speakers', () => {
  const segments: Segment[] = [
    { start: 0, end: 1, text: ' Hello <there> & all.', speaker: 'S1', words: [w(' Hello', 0, 0.4), w(' <there>', 0.4, 0.7), w(' &', 0.7, 0.8), w(' all.', 0.8, 1)] },
    { start: 1.5, end: 2.5, text: ' Hi.', speaker: 'S2' },
    { start: 3, end: 4, text: ' Bye.', speaker: 'S2' },
  ];
  const transcript: Transcript = { segments, language: 'en', model: 'm', task: 'transcribe', duration: 5, completedUntil: 5, sourceName: 'team meeting.mp3', speakers: { S1: 'Dr. Lee' } };
  const names = speakerNames(transcript.speakers);

  it('names speakers in TXT, SRT, Markdown and JSON', () => {
    expect(toTxt(segments, names)).toBe('Dr. Lee: Hello <there> & all.\nSpeaker 2: Hi.\nSpeaker 2: Bye.\n');
    expect(toSrt(segments, names)).toContain('00:00:01,500 --> 00:00:02,500\nSpeaker 2: Hi.');
    expect(toMarkdown(transcript)).toBe('# team meeting.mp3\n\n**Dr. Lee** [0:00] Hello \\<there\\> & all.\n\n**Speaker 2** [0:01] Hi. Bye.\n');
    const json = JSON.parse(toJson(transcript));
    expect(json.speakers).toEqual({ S1: 'Dr. Lee', S2: 'Speaker 2' });
    expect(json.segments.map((s: { speaker: string }) => s.speaker)).toEqual(['Dr. Lee', 'Speaker 2', 'Speaker 2']);
    expect(json.segments[0].words.every((x: { speaker: string }) => x.speaker === 'Dr. Lee')).toBe(true);
  });

  it('writes WebVTT voice spans a parser reads back, markup escaped', () => {
    const vtt = toVtt(segments, names);
    expect(vtt).toContain('<v Dr. Lee>Hello &lt;there&gt; &amp; all.</v>');
    const cues = parseCues(vtt);
    expect(cues.map((c) => /^<v ([^>]+)>/.exec(c.text)?.[1])).toEqual(['Dr. Lee', 'Speaker 2', 'Speaker 2']);
  });

  it('writes one RTTM line per turn, named after the file', () => {
    expect(toSpeakerRttm(transcript)).toBe('SPEAKER team_meeting 1 0.000 1.000 <NA> <NA> Dr._Lee <NA> <NA>\nSPEAKER team_meeting 1 1.500 2.500 <NA> <NA> Speaker_2 <NA> <NA>\n');
  });

  it('exports the speaker search’s own turns as RTTM where it left them: overlap and speech without words kept, names applied', () => {
    const found = { ...transcript, speakerTurns: [
      { start: 1.2, end: 3.0, speaker: 1 },
      { start: 0, end: 1.4, speaker: 0 },
      { start: 4.0, end: 4.5, speaker: 0 }, // no words were written here
    ] };
    expect(toSpeakerRttm(found)).toBe(
      'SPEAKER team_meeting 1 0.000 1.400 <NA> <NA> Dr._Lee <NA> <NA>\n' +
        'SPEAKER team_meeting 1 1.200 1.800 <NA> <NA> Speaker_2 <NA> <NA>\n' +
        'SPEAKER team_meeting 1 4.000 0.500 <NA> <NA> Dr._Lee <NA> <NA>\n',
    );
  });

  it('leaves transcripts without speakers as they were', () => {
    const plain = segments.map(({ speaker: _s, ...rest }) => rest);
    expect(toTxt(plain)).toBe('Hello <there> & all.\nHi.\nBye.\n');
    expect(toVtt(plain)).not.toContain('<v');
    expect(JSON.parse(toJson({ ...transcript, segments: plain, speakers: undefined })).speakers).toBeUndefined();
  });
});

describe('live speakers, one utterance at a time', async () => {
  const { OnlineSpeakers } = await import('../../src/domain/diarization/online');
  it('keeps a voice’s label, starts a new one for a new voice, and lets a short unsure utterance join the nearest', () => {
    const a = vec(1, null, 2);
    const b = vec(2, null, 2);
    const s = new OnlineSpeakers();
    expect(s.assign(vec(10, a, 0.3), 3)).toBe(0);
    expect(s.assign(vec(11, b, 0.3), 3)).toBe(1);
    expect(s.assign(vec(12, a, 0.3), 2)).toBe(0);
    expect(s.assign(vec(13, b, 0.3), 4)).toBe(1);
    // Half a second of a third voice is not enough to call it someone new.
    expect(s.assign(vec(14, vec(3, null, 2), 0.3), 0.5)).toBeLessThan(2);
    expect(s.assign(vec(15, vec(3, null, 2), 0.3), 2)).toBe(2);
    expect(s.count).toBe(3);
  });
});

describe('speech the segmentation missed (fillFromSpeech)', () => {
  it('gives uncovered speech to the nearest turn’s speaker, leaves covered speech and short bits alone, and makes one speaker when none was found', () => {
    const turns = [
      { start: 0, end: 2, speaker: 0 },
      { start: 5, end: 7, speaker: 1 },
    ];
    const filled = fillFromSpeech(turns, [
      { start: 1, end: 3 }, // 2–3 uncovered, next to speaker 0
      { start: 4.3, end: 5.5 }, // 4.3–5 uncovered, next to speaker 1
      { start: 9, end: 9.2 }, // too short
    ]);
    expect(filled).toEqual([
      { start: 0, end: 2, speaker: 0 },
      { start: 2, end: 3, speaker: 0 },
      { start: 4.3, end: 5, speaker: 1 },
      { start: 5, end: 7, speaker: 1 },
    ]);
    expect(fillFromSpeech([], [{ start: 1, end: 2 }])).toEqual([{ start: 1, end: 2, speaker: 0 }]);
    expect(fillFromSpeech(turns, [])).toEqual(turns);
  });
});

describe('loud stretches where no model heard speech (loudRegions)', () => {
  /** 16 kHz: seeded noise at `floorDb` dBFS, with bursts of a 180 Hz buzz (a laugh's level) at `burstDb`. */
  function room(seconds: number, floorDb: number, bursts: { start: number; end: number }[], burstDb = -24): Float32Array {
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32) * 2 - 1;
    const noise = 10 ** (floorDb / 20) * Math.sqrt(3);
    const tone = 10 ** (burstDb / 20) * Math.SQRT2;
    const a = new Float32Array(seconds * 16_000);
    for (let i = 0; i < a.length; i++) {
      const t = i / 16_000;
      a[i] = noise * rand() + (bursts.some((b) => t >= b.start && t < b.end) ? tone * Math.sin(2 * Math.PI * 180 * t) : 0);
    }
    return a;
  }
  const rounded = (r: { start: number; end: number }[]) => r.map((x) => [Math.round(x.start * 10) / 10, Math.round(x.end * 10) / 10]);

  it('finds bursts 30 dB above the room, and not a click or one under the level', () => {
    const audio = room(30, -58, [
      { start: 18.8, end: 19.8 }, // a loud second
      { start: 28.6, end: 30 }, // running into the end of the file
      { start: 5, end: 5.2 }, // a knock: too short
    ]);
    const quiet = room(30, -58, [{ start: 10, end: 12 }], -40); // 18 dB above the room: not loud
    expect(rounded(loudRegions(audio))).toEqual([
      [18.8, 19.8],
      [28.6, 30],
    ]);
    expect(loudRegions(quiet)).toEqual([]);
  });

  it('finds nothing in digital silence with faint dither, or in audio loud all through', () => {
    expect(loudRegions(room(20, -96, [{ start: 4, end: 6 }], -70))).toEqual([]);
    expect(loudRegions(room(20, -20, [{ start: 4, end: 6 }], -10))).toEqual([]);
    expect(loudRegions(new Float32Array(1000))).toEqual([]);
  });
});
