/**
 * Word timings for Whisper decoders exported without `cross_attentions.*` outputs.
 *
 * Why: word times come from the cross-attention weights of the alignment heads (OpenAI's
 * `find_alignment`). Only decoders exported with `--output_attentions` (the shared test models,
 * the hub's `onnx-community/whisper-*_timestamped` repos) return them; the hub's plain repos —
 * the catalog's default `onnx-community/whisper-base` among them — and most people's own
 * conversions do not. The weights are still computed inside: each decoder layer's cross-attention
 * `Softmax`. This edit makes them graph outputs under the names the exported ones have, so the
 * rest of the app (the cached step cut, the alignment pass, live finals) runs unchanged, on every
 * device and precision (the Softmax stays float32 in q8/q4/fp16 exports).
 *
 * Which Softmax is which: an ONNX graph lists its nodes in topological order, and in a Whisper
 * decoder layer the cross-attention's query is computed from the self-attention's result, and the
 * next layer from both — so the 2·L Softmax nodes of an L-layer decoder come as self₀, cross₀,
 * self₁, cross₁, …, whatever the exporter named them. Where names say `self_attn` /
 * `encoder_attn` (Optimum's exports) they must agree. A decoder with fused attention
 * (`MultiHeadAttention`, no Softmax node) cannot be edited: null, and the app says so.
 */
import { ATTRIBUTE, GRAPH, VALUE_INFO_NAME, concat, fields, floatValueInfo, graphAttributes, lengthDelimited, nameOf, nodeBytes, orNull, parseNode, readGraph, sub, withBranches, withGraph, type Node } from '../onnx/wire';

export const crossAttentionName = (layer: number) => `cross_attentions.${layer}`;
const PRESENT_SELF_KEY = /^present\.(\d+)\.decoder\.key$/;

export interface ExposedAttentions {
  bytes: Uint8Array;
  /** Decoder layers whose cross-attention is now an output. */
  layers: number;
}

/**
 * The decoder with its cross-attention weights as outputs `cross_attentions.{layer}`, or null when
 * it has them already, is not a Whisper decoder, or has no Softmax to expose (fused attention).
 */
export function exposeCrossAttentions(model: Uint8Array): ExposedAttentions | null {
  return orNull(() => expose(model));
}

/** Whether the decoder's bytes already output cross-attention weights. */
export function hasCrossAttentionOutputs(model: Uint8Array): boolean {
  const read = orNull(() => readGraph(model));
  if (!read) return false;
  return read.graphFields.some((f) => f.no === GRAPH.output && nameOf(sub(read.graph, f), VALUE_INFO_NAME).startsWith('cross_attentions.'));
}

function expose(model: Uint8Array): ExposedAttentions | null {
  const read = readGraph(model);
  if (!read) return null;
  const outputs = read.graphFields.filter((f) => f.no === GRAPH.output).map((f) => nameOf(sub(read.graph, f), VALUE_INFO_NAME));
  if (outputs.some((o) => o.startsWith('cross_attentions.'))) return null;
  const layers = outputs.filter((o) => PRESENT_SELF_KEY.test(o)).length;
  if (layers === 0 || !outputs.includes('logits')) return null;
  const graph = withOutputs(read.graph, layers);
  if (!graph) return null;
  return { bytes: withGraph(model, read, [graph]), layers };
}

/** The cross-attention Softmax output of each layer, in order, or null when the graph's Softmax nodes are not the 2·L of a decoder. */
function crossSoftmaxes(nodes: Node[], layers: number): string[] | null {
  const softmax = nodes.filter((n) => n.opType === 'Softmax');
  if (softmax.length !== 2 * layers) return null;
  const cross = softmax.filter((_, i) => i % 2 === 1).map((n) => n.outputs[0]);
  const self = softmax.filter((_, i) => i % 2 === 0).map((n) => n.outputs[0]);
  // Names, where the exporter gave meaningful ones, must say the same.
  if (cross.some((o) => /self_attn/.test(o)) || self.some((o) => /encoder_attn/.test(o))) return null;
  return cross;
}

/**
 * A GraphProto's bytes with outputs `cross_attentions.{0…L-1}` appended: from its own Softmax
 * nodes, or through an `If` both of whose branches have them (Optimum's merged decoder). Repeated
 * protobuf fields may be appended anywhere in a message, so new nodes and outputs go at its end;
 * the new nodes come after the Softmax they read, which keeps the node list topological.
 */
function withOutputs(graph: Uint8Array, layers: number): Uint8Array | null {
  const graphFields = fields(graph);
  const nodeFields = graphFields.filter((f) => f.no === GRAPH.node);
  const nodes = nodeFields.map((f) => parseNode(sub(graph, f)));
  const names = Array.from({ length: layers }, (_, l) => crossAttentionName(l));
  const outputs = names.flatMap((n) => floatValueInfo(GRAPH.output, n));

  const own = crossSoftmaxes(nodes, layers);
  if (own) return concat([graph, ...own.flatMap((o, l) => nodeBytes('Identity', [o], [names[l]])), ...outputs]);

  for (const [i, node] of nodes.entries()) {
    if (node.opType !== 'If') continue;
    const branches = graphAttributes(node);
    const edited = branches.map((a) => withOutputs(sub(a.buf, a.field.find((f) => f.no === ATTRIBUTE.g)!), layers));
    if (branches.length !== 2 || edited.some((g) => g === null)) continue;
    // The If with the branches replaced and the new outputs appended (If outputs match branch outputs by position).
    const nodeParts = withBranches(node, branches, edited as Uint8Array[], names);
    const parts: Uint8Array[] = [];
    for (const f of graphFields) {
      if (f === nodeFields[i]) parts.push(...lengthDelimited(GRAPH.node, nodeParts));
      else parts.push(graph.subarray(f.start, f.end));
    }
    return concat([...parts, ...outputs]);
  }
  return null;
}
