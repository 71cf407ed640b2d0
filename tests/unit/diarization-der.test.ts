/**
 * Who spoke when, scored as the field scores it: diarization error rate (missed + false alarm +
 * confusion over reference speech, ±0.25 s collar, overlap scored, best speaker mapping) of the
 * app's own Diarizer (workers/asr/diarization/diarize.ts on onnxruntime-node, the models it ships),
 * on the test audio and references in ../shared/diarization.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DerRow } from '../fixtures/diarization-der';

const DIR = '../shared/diarization';
const present = existsSync(`${DIR}/campplus-reference.json`) && existsSync(`${DIR}/ami-snippets/ami-snippets.rttm`);
if (!present) console.warn(`diarization DER tests skipped: ${DIR} not found (../shared is beside the repo in CI)`);

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

describe.skipIf(!present)('speaker diarization error rate', () => {
  let report: { featureDiff: number; embeddingCosine: number; rows: DerRow[] };
  const rows = (group: DerRow['group']) => report.rows.filter((r) => r.group === group);

  it('computes CAM++ features and embeddings as the reference does', () => {
    report = JSON.parse(execFileSync('node_modules/.bin/tsx', ['tests/fixtures/diarization-der.ts'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 }));
    console.log(
      report.rows
        .map((r) => `[der] ${r.name.padEnd(20)} DER ${pct(r.der).padStart(7)} (no collar ${pct(r.derNoCollar)}; missed ${r.missed.toFixed(1)} s, false alarm ${r.falseAlarm.toFixed(1)} s, confusion ${r.confusion.toFixed(1)} s of ${r.total.toFixed(1)} s) speakers ${r.speakers}/${r.referenceSpeakers}${r.overlapSeconds ? `, ${r.overlapSeconds.toFixed(1)} s overlap` : ''}; ${r.runSeconds.toFixed(1)} s for ${r.seconds.toFixed(0)} s`)
        .join('\n'),
    );
    console.log(`[der] fbank max difference ${report.featureDiff.toExponential(1)}, embedding cosine ${report.embeddingCosine.toFixed(5)}`);
    expect(report.featureDiff).toBeLessThan(1e-3);
    expect(report.embeddingCosine).toBeGreaterThanOrEqual(0.999);
  }, 600_000);

  it('gets clean turns of 2–4 speakers right (DER ≤ 3 %, the right number of speakers)', () => {
    const clean = rows('synthetic').filter((r) => !r.overlapSeconds || r.overlapSeconds < 0.5);
    expect(clean.length).toBe(4);
    for (const r of clean) {
      // 1.2–2.7 % with the int8 segmentation model shipped before, 0.0–1.6 % with the full-precision one.
      expect(r.der, r.name).toBeLessThanOrEqual(0.03);
      expect(r.speakers, r.name).toBe(r.referenceSpeakers);
    }
  });

  it('keeps overlapped speech (DER ≤ 5 %, the right number of speakers)', () => {
    const overlapped = rows('synthetic').filter((r) => (r.overlapSeconds ?? 0) >= 0.5);
    expect(overlapped.length).toBe(2);
    for (const r of overlapped) {
      // 3.5 and 4.9 % with the int8 model, 0.5 and 1.1 % with the full-precision one.
      expect(r.der, r.name).toBeLessThanOrEqual(0.05);
      expect(r.speakers, r.name).toBe(r.referenceSpeakers);
    }
  });

  it('finds both speakers of pyannote’s sample', () => {
    const [r] = rows('sample');
    expect(r.speakers).toBe(2);
    expect(r.der).toBeLessThanOrEqual(0.05);
  });

  it('scores the AMI meeting cuts (corpus DER ≤ 25 %, mean of the per-file DERs ≤ 30 %)', () => {
    const ami = rows('ami');
    expect(ami.length).toBe(9);
    const errors = ami.reduce((a, r) => a + r.missed + r.falseAlarm + r.confusion, 0);
    const total = ami.reduce((a, r) => a + r.total, 0);
    const mean = ami.reduce((a, r) => a + r.der, 0) / ami.length;
    console.log(`[der] AMI: corpus DER ${pct(errors / total)} (errors over all reference speech, as pyannote and md-eval report a set); mean of per-file DERs ${pct(mean)}`);
    expect(errors / total).toBeLessThanOrEqual(0.25);
    // Short cuts weigh as much as long ones here: a cut whose speech is all missed scores 100 %.
    // 44.9 % before Silero's speech regions filled what the segmentation missed, 33.3 % with the
    // int8 segmentation model shipped until then, 31.0 % with the full-precision one, 29.1 % with a
    // voice heard only over another counted (issue 28 asks ≤ 30 %), 26.3 % with a cut where neither
    // model hears anyone given its loud stretches (a laugh) instead of nothing.
    expect(mean).toBeLessThanOrEqual(0.28);
  });

  it('finds speech in every meeting cut with at least 2 s of it', () => {
    // trn01: 3.3 s of reference speech, a short word and a three-way laugh; neither the segmentation
    // model nor Silero calls any of it speech.
    const missing = rows('ami').filter((r) => r.referenceSeconds >= 2 && r.speakers === 0);
    expect(missing.map((r) => `${r.name} (${r.referenceSeconds.toFixed(1)} s)`)).toEqual([]);
    // The loud stretches stand in only where nothing else was heard.
    for (const r of report.rows) if (r.heardSeconds + r.filledSeconds > 0) expect(r.loudSeconds, r.name).toBe(0);
  });

  it('takes the number of speakers the user gives', () => {
    const [three, one] = rows('options');
    expect(three.speakers).toBe(3);
    expect(one.speakers).toBe(1);
    // Exactly three: the user's number, no "how sure" to show; at most one: held to that.
    expect(three.likely).toBeNull();
    expect(one.likely).toEqual({ min: 1, max: 1 });
  });

  it('says how sure the automatic count is: sure means right, and a wrong count is mostly flagged unsure', () => {
    const auto = report.rows.filter((r) => r.group !== 'options');
    const range = (r: DerRow) => (r.likely!.min === r.likely!.max ? 'sure' : `${r.likely!.min}–${r.likely!.max}`);
    console.log(auto.map((r) => `[der] count ${r.name.padEnd(20)} found ${r.speakers}, ${range(r)}; voices with ≥ 2 s in the reference ${r.referenceSpeakers2s} (heard ${r.heardSeconds.toFixed(1)} s, filled from Silero ${r.filledSeconds.toFixed(1)} s, loud ${r.loudSeconds.toFixed(1)} s)`).join('\n'));
    for (const r of auto) {
      expect(r.likely, r.name).not.toBeNull();
      expect(r.likely!.min, r.name).toBeLessThanOrEqual(r.speakers);
      expect(r.likely!.max, r.name).toBeGreaterThanOrEqual(r.speakers);
    }
    // The synthetic conversations and the sample: the true count is always in the range, and the
    // two-speaker clean and overlapped ones (voices far apart) are sure.
    for (const r of [...rows('synthetic'), ...rows('sample')]) {
      expect(r.likely!.min, r.name).toBeLessThanOrEqual(r.referenceSpeakers);
      expect(r.likely!.max, r.name).toBeGreaterThanOrEqual(r.referenceSpeakers);
    }
    for (const name of ['two-clean', 'two-overlap']) expect(range(rows('synthetic').find((r) => r.name === name)!), name).toBe('sure');
    // Where it says sure, the count is the number of voices with at least 2 s of speech (one AMI
    // cut was sure and wrong until a voice heard only over another counted); of the cuts whose count is
    // wrong, most are flagged.
    const sure = auto.filter((r) => r.likely!.min === r.likely!.max);
    const sureWrong = sure.filter((r) => r.speakers !== r.referenceSpeakers2s);
    const wrong = auto.filter((r) => r.speakers !== r.referenceSpeakers2s);
    console.log(`[der] count: sure on ${sure.length} of ${auto.length} files, right on ${sure.length - sureWrong.length} of them; wrong on ${wrong.length}, flagged unsure on ${wrong.length - sureWrong.length}`);
    expect(sure.length).toBeGreaterThanOrEqual(5);
    expect(sureWrong.map((r) => r.name)).toEqual([]);
    expect(wrong.length - sureWrong.length).toBeGreaterThanOrEqual(Math.ceil(wrong.length / 2));
  });
});
