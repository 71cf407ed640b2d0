/**
 * `npx tsx tools/expose-attentions.ts <model folder>`: gives every merged decoder in
 * `<folder>/onnx/` its `cross_attentions.*` outputs, with the same graph edit the app's loader
 * makes in the browser (workers/asr/models/attention-outputs.ts). For the Node harness
 * (tests/fixtures/transcribe-node.ts), which loads files from the disk without the browser
 * loader, so a plain export is aligned there as the app aligns it. One-time preparation, with
 * tools/make_precisions.py; never part of the app or the tests.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exposeCrossAttentions, hasCrossAttentionOutputs } from '../workers/asr/models/attention-outputs';

const dir = join(process.argv[2], 'onnx');
for (const f of readdirSync(dir).filter((n) => /^decoder_model_merged.*\.onnx$/.test(n))) {
  const bytes = new Uint8Array(readFileSync(join(dir, f)));
  if (hasCrossAttentionOutputs(bytes)) continue;
  const exposed = exposeCrossAttentions(bytes);
  if (!exposed) throw new Error(`${f}: no cross-attention Softmax found (fused attention?)`);
  writeFileSync(join(dir, f), exposed.bytes);
  console.log(`${f}: cross-attention outputs added`);
}
