/**
 * The decoder's cached step, cut out of the merged decoder's own bytes (and, at the end of this
 * file, the encoder made to take any length).
 *
 * Why: Optimum's `decoder_model_merged` wraps both decoders in one `If` on `use_cache_branch`.
 * Run as-is for every generated token it makes onnxruntime-web copy and re-do the whole encoder
 * side each step (issue 15's profile, docs/performance.md): `encoder_hidden_states` is a required
 * input and goes through a `DynamicQuantizeLinear` outside the `If` even though the cached branch
 * never reads it; the cross-attention keys and values of every layer come back out as
 * `present.*.encoder.*` (passed through); and every layer transposes its 1 500-frame
 * cross-attention key again. The step model keeps exactly the cached branch's nodes, takes the
 * keys already transposed (once per window, by the caller) and returns only logits, the
 * self-attention presents and the cross-attention weights. Same weights, same arithmetic: the
 * logits are bit-identical. transformers.js keeps loading the merged model for the first step.
 *
 * The protobuf is edited at the wire level (onnx/wire.ts says why).
 */
import {
  ATTRIBUTE, GRAPH, TENSOR_NAME, VALUE_INFO_NAME, fields, floatValueInfo, intsOf, lengthDelimited, nameOf, nodeBytes, orNull, parseNode, readGraph,
  renameInputs, stringField, sub, withGraph, type Node,
} from '../onnx/wire';

export interface CachedStepModel {
  /** The step model's ONNX bytes. */
  bytes: Uint8Array;
  /** Inputs `past_key_values.{i}.encoder.key` are `[batch, heads, head_dim, frames]` (transposed once per window). */
  keysTransposed: boolean;
  /** The outputs it has: `logits`, `present.{i}.decoder.{key,value}`, and `cross_attentions.{i}` where the merged model had them. */
  outputs: string[];
}

const ENCODER_KEY = /^past_key_values\.\d+\.encoder\.key$/;
const KEPT_OUTPUT = /^(logits|present\.\d+\.decoder\.(key|value)|cross_attentions\.\d+)$/;

/**
 * The cached step of a merged Whisper decoder, or null when the bytes are not one (no `If` on
 * `use_cache_branch`, a layout this does not know, or not a protobuf this can read) — callers
 * then keep the merged model for every step.
 */
export function cachedStepModel(model: Uint8Array): CachedStepModel | null {
  return orNull(() => cut(model));
}

function cut(model: Uint8Array): CachedStepModel | null {
  const read = readGraph(model);
  if (!read) return null;
  const { graph, graphFields } = read;

  const outerNodes = graphFields.filter((f) => f.no === GRAPH.node).map((f) => parseNode(sub(graph, f)));
  const branch = outerNodes.find((n) => n.opType === 'If' && n.inputs[0] === 'use_cache_branch');
  const thenAttr = branch?.attributes.find((a) => a.name === 'then_branch');
  const thenGraphField = thenAttr?.field.find((f) => f.no === ATTRIBUTE.g);
  if (!branch || !thenAttr || !thenGraphField) return null;
  const thenGraph = sub(thenAttr.buf, thenGraphField);
  const thenFields = fields(thenGraph);
  // The branch's outputs must carry the If's own names (Optimum's merge does this).
  const thenOutputs = thenFields.filter((f) => f.no === GRAPH.output).map((f) => nameOf(sub(thenGraph, f), VALUE_INFO_NAME));
  if (thenOutputs.length !== branch.outputs.length || thenOutputs.some((n, i) => n !== branch.outputs[i])) return null;
  if (thenFields.some((f) => f.no === GRAPH.initializer)) return null;

  let nodes = thenFields.filter((f) => f.no === GRAPH.node).map((f) => parseNode(sub(thenGraph, f)));
  if (nodes.some((n) => n.attributes.some((a) => a.field.some((f) => f.no === ATTRIBUTE.g)))) return null; // nested graphs

  // Cross-attention keys: the branch transposes each layer's key before Q·Kᵀ, every step.
  // Feed them transposed instead, when that is all the branch does with them.
  const rename = new Map<string, string>();
  const keyUses = nodes.filter((n) => n.inputs.some((i) => ENCODER_KEY.test(i)));
  const keysTransposed =
    keyUses.length > 0 &&
    keyUses.every((n) => {
      const perm = n.attributes.find((a) => a.name === 'perm');
      return n.opType === 'Transpose' && n.inputs.length === 1 && perm !== undefined && intsOf(perm).join() === '0,1,3,2';
    });
  if (keysTransposed) {
    for (const n of keyUses) rename.set(n.outputs[0], n.inputs[0]);
    nodes = nodes.filter((n) => !keyUses.includes(n));
  }

  const outputs = graphFields.filter((f) => f.no === GRAPH.output).filter((f) => KEPT_OUTPUT.test(nameOf(sub(graph, f), VALUE_INFO_NAME)));
  const outputNames = outputs.map((f) => nameOf(sub(graph, f), VALUE_INFO_NAME));
  if (!outputNames.includes('logits')) return null;
  // Only the nodes the kept outputs need (the branch also passes the encoder side through).
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const needed = new Set<Node>();
  const pending = [...outputNames];
  while (pending.length) {
    const n = producer.get(pending.pop()!);
    if (!n || needed.has(n)) continue;
    needed.add(n);
    pending.push(...n.inputs.map((i) => rename.get(i) ?? i));
  }
  nodes = nodes.filter((n) => needed.has(n));
  const used = new Set(nodes.flatMap((n) => n.inputs.map((i) => rename.get(i) ?? i)));

  const parts: Uint8Array[] = [];
  for (const n of nodes) parts.push(...lengthDelimited(GRAPH.node, [renameInputs(n, rename)]));
  const name = graphFields.find((f) => f.no === GRAPH.name);
  if (name) parts.push(graph.subarray(name.start, name.end));
  for (const f of graphFields) {
    if (f.no === GRAPH.initializer && used.has(nameOf(sub(graph, f), TENSOR_NAME))) parts.push(graph.subarray(f.start, f.end));
  }
  for (const f of graphFields) {
    if (f.no !== GRAPH.input) continue;
    const input = nameOf(sub(graph, f), VALUE_INFO_NAME);
    if (!used.has(input)) continue; // encoder_hidden_states, use_cache_branch
    // float32 of unstated shape: [batch, heads, head_dim, frames] now.
    if (keysTransposed && ENCODER_KEY.test(input)) parts.push(...floatValueInfo(GRAPH.input, input));
    else parts.push(graph.subarray(f.start, f.end));
  }
  for (const f of outputs) parts.push(graph.subarray(f.start, f.end));
  return { bytes: withGraph(model, read, parts), keysTransposed, outputs: outputNames };
}

// ---------------------------------------------------------------------------------------------
// The encoder, for any number of frames.

const GRAPH_VALUE_INFO = 13;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const INT64 = 7;
const POSITIONS = /embed_positions/;

/** A one-element int64 initializer. */
function int64Initializer(name: string, value: number): Uint8Array[] {
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setBigInt64(0, BigInt(value), true);
  return lengthDelimited(GRAPH.initializer, [Uint8Array.from([TENSOR.dims * 8, 1, TENSOR.dataType * 8, INT64]), ...stringField(TENSOR.name, name), ...lengthDelimited(TENSOR.rawData, [raw])]);
}

/**
 * The Whisper encoder for any even number of mel frames up to 3 000, or null when the bytes are not
 * one this knows (callers keep the original).
 *
 * Why: the exported encoder adds its whole 1 500-row position table to the convolutions' output,
 * so it only runs on a full 30 s window (3 000 frames), however short the audio. A live utterance
 * is 1–10 s: encoding only its audio (plus a little padding) is 3–15× less work, and the encoder is
 * most of a live final's wait on 2 cores (docs/performance.md). Here the table is sliced to the
 * input's length first — `Shape → Slice → Slice(positions) → Add` — and the graph's fixed
 * 3 000/1 500 shapes are dropped. On a full window the slice is the whole table: the output is
 * bit-identical to the original's, so the app can load this in its place.
 */
export function anyLengthEncoder(model: Uint8Array): Uint8Array | null {
  return orNull(() => sliceEncoderPositions(model));
}

function sliceEncoderPositions(model: Uint8Array): Uint8Array | null {
  const read = readGraph(model);
  if (!read) return null;
  const { graph, graphFields } = read;
  const inputNames = graphFields.filter((f) => f.no === GRAPH.input).map((f) => nameOf(sub(graph, f), VALUE_INFO_NAME));
  if (inputNames.length !== 1 || inputNames[0] !== 'input_features') return null;
  const positions = graphFields
    .filter((f) => f.no === GRAPH.initializer)
    .map((f) => nameOf(sub(graph, f), TENSOR_NAME))
    .filter((n) => POSITIONS.test(n));
  if (positions.length !== 1) return null;
  const table = positions[0];

  const nodeFields = graphFields.filter((f) => f.no === GRAPH.node);
  const nodes = nodeFields.map((f) => parseNode(sub(graph, f)));
  const uses = nodes.filter((n) => n.inputs.includes(table));
  if (uses.length !== 1 || uses[0].opType !== 'Add' || uses[0].inputs.length !== 2) return null;
  const add = uses[0];
  const hidden = add.inputs.find((i) => i !== table)!; // [batch, frames, d_model]

  const p = '/earshot/positions';
  const names = { shape: `${p}/shape`, frames: `${p}/frames`, sliced: `${p}/sliced`, zero: `${p}/zero`, one: `${p}/one`, two: `${p}/two` };
  const parts: Uint8Array[] = [];
  for (const [i, f] of nodeFields.entries()) {
    if (nodes[i] === add) {
      parts.push(...nodeBytes('Shape', [hidden], [names.shape]));
      parts.push(...nodeBytes('Slice', [names.shape, names.one, names.two, names.zero], [names.frames]));
      parts.push(...nodeBytes('Slice', [table, names.zero, names.frames, names.zero], [names.sliced]));
      parts.push(...lengthDelimited(GRAPH.node, [renameInputs(add, new Map([[table, names.sliced]]))]));
    } else parts.push(graph.subarray(f.start, f.end));
  }
  for (const f of graphFields) {
    if (f.no === GRAPH.node || f.no === GRAPH_VALUE_INFO) continue; // intermediate shapes name 3 000 and 1 500 frames
    if (f.no === GRAPH.input) parts.push(...floatValueInfo(GRAPH.input, 'input_features'));
    else if (f.no === GRAPH.output) parts.push(...floatValueInfo(GRAPH.output, nameOf(sub(graph, f), VALUE_INFO_NAME)));
    else parts.push(graph.subarray(f.start, f.end));
  }
  parts.push(...int64Initializer(names.zero, 0), ...int64Initializer(names.one, 1), ...int64Initializer(names.two, 2));
  return withGraph(model, read, parts);
}
