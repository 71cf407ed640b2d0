/**
 * A prompt changes spellings as faster-whisper's `initial_prompt` does (issue 27, part 2).
 *
 * Clips: espeak-ng sentences that each hold a name or product Whisper cannot spell from sound
 * alone, made at test time. The reference is faster-whisper 1.2.1 on the same clips and the same
 * weights (tiny.en int8, greedy, `python3 bench/faster_whisper_ref.py --model tiny.en --language en
 * [--prompt WORD] CLIP`), recorded below: without a prompt it misspells every one of these words;
 * with the word as `initial_prompt` it writes it as spelled. The app, same model (q8), same clips,
 * through its own file path in Node, must do the same: miss without, hit with (one miss allowed:
 * see the assertion).
 * (transformers.js's plain pipeline takes no prompt — `prompt_ids` is commented out in 3.8 — so
 * faster-whisper is the only yardstick here.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { have } from '../e2e/fixtures';

const ROOT = resolve(import.meta.dirname, '../..');
const MODEL = resolve(ROOT, '../shared/models/whisper-tiny.en');
const DIR = join(ROOT, '.cache/test-fixtures/prompt-spelling');

/** Word, sentence, and faster-whisper's text without and with the word as its prompt. */
const CLIPS = [
  ["ComfyUI", "I opened ComfyUI and loaded the workflow from yesterday.", "I opened come, fit UI and loaded the workflow from yesterday.", "I opened ComfyUI and loaded the workflow from yesterday."],
  ["Siobhan", "Please send the contract to Siobhan before Friday.", "Please end the contract to shimong before Friday.", "Please end the contract to Siobhan before Friday"],
  ["Nguyen", "Doctor Nguyen will see the patient at three.", "Doctor Moon will see the patient at 3.", "Dr. Nguyen will see the patient at 3."],
  ["Kubectl", "Run kubectl to list the pods in the cluster.", "Run Cubectologist the pardon in the cluster.", "Run Kubectl to list the cards in the cluster"],
  ["Ollama", "We serve the model locally with Ollama on the laptop.", "We serve the model locally with my llama in the lamp top", "We serve the model locally with Ollama in the lamp top"],
  ["Tchaikovsky", "The orchestra played Tchaikovsky after the break.", "The Orchist replay of DJ Combsky after a break.", "The Orchist rep led Tchaikovsky after the break."],
  ["Llewellyn", "Mister Llewellyn signed the deposition on Monday.", "Mr. Lorellian signs the deposition on Monday.", "Mr. Llewellyn signs the definition on Monday."],
  ["Qdrant", "The vectors are stored in Qdrant for fast search.", "The makers are stored in Q-brand for fast search.", "The meta are stored in Qdrant for fast search"],
] as const;

const tools = have('espeak-ng') && have('sox');
const present = existsSync(join(MODEL, 'config.json'));
if (!present) console.warn(`prompt spelling test skipped: ${MODEL} not found (../shared is beside the repo in CI)`);
if (!tools) console.warn('prompt spelling test skipped: espeak-ng and sox are needed to make its clips (.ci/run installs them)');

/**
 * The clip of one sentence: espeak-ng's voice at 16 kHz mono, with a little silence around it.
 * `-R`: sox seeds its dither, so the clip is the same on every machine (a dithered clip's noise
 * alone moved one of these names).
 */
function clip(i: number, sentence: string): string {
  mkdirSync(DIR, { recursive: true });
  const raw = join(DIR, `raw-${i}.wav`);
  const out = join(DIR, `clip-${i}.wav`);
  if (!existsSync(out)) {
    execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw, sentence]);
    execFileSync('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', out, 'pad', '0.3', '0.5']);
  }
  return out;
}

function transcribe(files: string[], prompts: string[]): string[] {
  const out = execFileSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'tests/fixtures/transcribe-node.ts'), MODEL, 'q8', 'en', 'fast', ...files], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, PROMPTS: JSON.stringify(prompts) },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(out) as { text: string }[]).map((r) => r.text.trim());
}

const spells = (text: string, word: string) => text.toLowerCase().includes(word.toLowerCase());

describe.skipIf(!present || !tools)('a prompt spells names as faster-whisper’s initial_prompt does (tiny.en)', () => {
  let without: string[];
  let withPrompt: string[];
  beforeAll(() => {
    const files = CLIPS.map(([, sentence], i) => clip(i, sentence));
    // One process (one model load): every clip without a prompt, then every clip with its word.
    const texts = transcribe([...files, ...files], [...CLIPS.map(() => ''), ...CLIPS.map(([word]) => word)]);
    without = texts.slice(0, CLIPS.length);
    withPrompt = texts.slice(CLIPS.length);
    CLIPS.forEach(([word, , fw, fwPrompted], i) => {
      console.log(`[prompt] ${word}: app "${without[i]}" → "${withPrompt[i]}" | faster-whisper "${fw}" → "${fwPrompted}"`);
    });
  }, 600_000);

  it('the app misses these words without a prompt and writes each one as the prompt spells it', () => {
    const missedWithout = CLIPS.filter(([word], i) => !spells(without[i], word)).map(([w]) => w);
    const spelled = CLIPS.filter(([word], i) => spells(withPrompt[i], word)).map(([w]) => w);
    console.log(`[prompt] app: ${spelled.length}/${CLIPS.length} spelled with the prompt (faster-whisper ${CLIPS.length}/${CLIPS.length}); missed without: ${missedWithout.length}/${CLIPS.length}`);
    // Without the prompt the words are beyond the model (so the prompt is what changes them).
    expect(missedWithout).toEqual(CLIPS.map(([w]) => w));
    // faster-whisper writes all eight. The app's q8 tiny.en (what Auto loads) misses one, Siobhan
    // ("shivhan"): the same prompt ids, a weaker encoder — with the fp32 encoder it writes it too
    // (docs/performance.md, issue 27). One miss is the margin; two would be the prompt failing.
    expect(spelled.length).toBeGreaterThanOrEqual(CLIPS.length - 1);
  });
});
