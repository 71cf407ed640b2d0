/**
 * A Whisper decoder that computes logits only from `<|startoftranscript|>` on.
 *
 * Why: the first decoder run of every window (file path) and every live pass goes over the
 * prompt — up to 223 tokens of previous text — then the SOT sequence. The exported decoder projects
 * every position onto the 51 864-token vocabulary (`proj_out`: 20 M multiply-adds a position), yet
 * nothing reads the prompt's rows: decoding reads the rows from `<|startoftranscript|>` on (its
 * no-speech probability, then the next token or a draft's check). On 240 positions that projection
 * is most of the run (onnxruntime-node, tiny.en q8: 118–190 ms against 30 ms for 20 positions; in
 * a live pass on WASM the run took 0.32 s of a 1.19 s median, docs/performance.md). Here the
 * projection's input is sliced first: `Equal(input_ids, SOT) → ArgMax → Slice(hidden, start:)`.
 * Inputs without SOT (a cached step, one token) give ArgMax 0: every row, as before. The slice
 * comes after a quantised export's `DynamicQuantizeLinear` (it reads the projection's own input),
 * so the scale is the one computed over all rows and the kept rows are bit-identical.
 *
 * Callers read rows relative to the input's end (`logitsRow` with the input length): the logits
 * have `inputLength − start` rows. The edit is made in the graph that computes `logits` itself or
 * in both branches of Optimum's merged `If`; a layout this does not know is left as it is (null).
 */
import { ATTRIBUTE, GRAPH, NODE, concat, fields, graphAttributes, lengthDelimited, orNull, parseNode, readGraph, renameInputs, stringField, sub, varint, withBranches, withGraph, type Node } from '../onnx/wire';

/** The MatMul-like ops a vocabulary projection is exported as (float, dynamic int8, 4-bit; not Gemm, whose input is 2-D). */
const PROJECTIONS = new Set(['MatMul', 'MatMulInteger', 'MatMulNBits', 'FusedMatMul']);
/** What may sit between the projection and the `logits` output (dequantisation, casts). */
const AFTER_PROJECTION = new Set(['Mul', 'Cast', 'Add']);
const INT64 = 7;
const FLOAT = 1;
const ATTR_TYPE = { int: 2, tensor: 4 } as const;
const ATTR_FIELD = { i: 3, t: 5, type: 20 } as const;
const TENSOR_FIELD = { dims: 1, dataType: 2, rawData: 9 } as const;

export function logitsFromSot(model: Uint8Array, sot: number): Uint8Array | null {
  return orNull(() => {
    const read = readGraph(model);
    if (!read) return null;
    const graph = edit(read.graph, sot);
    return graph ? withGraph(model, read, [graph]) : null;
  });
}

function attribute(name: string, type: number, value: Uint8Array[]): Uint8Array[] {
  return lengthDelimited(NODE.attribute, [...stringField(ATTRIBUTE.name, name), ...value, Uint8Array.from([...varint(ATTR_FIELD.type * 8), ...varint(type)])]);
}

const intAttribute = (name: string, v: number) => attribute(name, ATTR_TYPE.int, [Uint8Array.from([...varint(ATTR_FIELD.i * 8), ...varint(v)])]);

/** A Constant node holding one int64 (a 1-D tensor of one element). */
function int64Constant(output: string, value: bigint): Uint8Array[] {
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setBigInt64(0, value, true);
  const tensor = concat([Uint8Array.from([TENSOR_FIELD.dims * 8, 1, TENSOR_FIELD.dataType * 8, INT64]), ...lengthDelimited(TENSOR_FIELD.rawData, [raw])]);
  const value_ = attribute('value', ATTR_TYPE.tensor, lengthDelimited(ATTR_FIELD.t, [tensor]));
  return lengthDelimited(GRAPH.node, [...stringField(NODE.output, output), ...stringField(NODE.opType, 'Constant'), ...value_]);
}

function node(opType: string, inputs: string[], outputs: string[], attributes: Uint8Array[][] = []): Uint8Array[] {
  return lengthDelimited(GRAPH.node, [...inputs.flatMap((i) => stringField(NODE.input, i)), ...outputs.flatMap((o) => stringField(NODE.output, o)), ...stringField(NODE.opType, opType), ...attributes.flat()]);
}

/** The vocabulary projection feeding `logits` in this graph (through dequantisation), or null. */
function projection(nodes: Node[]): Node | null {
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  let n = producer.get('logits');
  for (let hops = 0; n && hops < 4; hops++) {
    if (PROJECTIONS.has(n.opType)) return n;
    if (!AFTER_PROJECTION.has(n.opType)) return null;
    // Of a dequantising Mul/Add, the operand that is computed per row (the other is a scale).
    n = n.inputs.map((i) => producer.get(i)).find((p) => p && (PROJECTIONS.has(p.opType) || AFTER_PROJECTION.has(p.opType)));
  }
  return null;
}

/** Whether `name` comes out of a Reshape or Flatten (through quantisation and casts). */
function flattened(nodes: Node[], name: string): boolean {
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  let n = producer.get(name);
  while (n && (n.opType === 'DynamicQuantizeLinear' || n.opType === 'QuantizeLinear' || n.opType === 'Cast')) n = producer.get(n.inputs[0]);
  return n !== undefined && (n.opType === 'Reshape' || n.opType === 'Flatten');
}

/** A GraphProto's bytes with the projection's input sliced from SOT on, itself or in both branches of an `If`; null if neither. */
function edit(graph: Uint8Array, sot: number): Uint8Array | null {
  const graphFields = fields(graph);
  const nodeFields = graphFields.filter((f) => f.no === GRAPH.node);
  const nodes = nodeFields.map((f) => parseNode(sub(graph, f)));

  const proj = projection(nodes);
  // The slice is on axis 1 of [batch, positions, d_model]: an export that flattens the positions
  // into the batch before the projection is left alone.
  if (proj && flattened(nodes, proj.inputs[0])) return null;
  if (proj) {
    const p = '/earshot/logits_from_sot';
    const n = { sot: `${p}/sot`, is: `${p}/is_sot`, isF: `${p}/is_sot_f`, at: `${p}/at`, start: `${p}/start`, end: `${p}/end`, axis: `${p}/axis`, rows: `${p}/rows` };
    const added = [
      ...int64Constant(n.sot, BigInt(sot)),
      ...int64Constant(n.end, 0x7fffffffffffffffn),
      ...int64Constant(n.axis, 1n),
      ...node('Equal', ['input_ids', n.sot], [n.is]),
      ...node('Cast', [n.is], [n.isF], [intAttribute('to', FLOAT)]),
      ...node('ArgMax', [n.isF], [n.at], [intAttribute('axis', 1), intAttribute('keepdims', 0)]),
      ...node('ReduceMin', [n.at], [n.start], [intAttribute('keepdims', 1)]),
      ...node('Slice', [proj.inputs[0], n.start, n.end, n.axis], [n.rows]),
    ];
    const parts: Uint8Array[] = [];
    for (const [i, f] of nodeFields.entries()) {
      // Before the projection (the list stays topological): the slice, then the projection reading it.
      if (nodes[i] === proj) parts.push(...added, ...lengthDelimited(GRAPH.node, [renameInputs(proj, new Map([[proj.inputs[0], n.rows]]))]));
      else parts.push(graph.subarray(f.start, f.end));
    }
    for (const f of graphFields) if (f.no !== GRAPH.node) parts.push(graph.subarray(f.start, f.end));
    return concat(parts);
  }

  for (const [i, ifNode] of nodes.entries()) {
    if (ifNode.opType !== 'If') continue;
    const branches = graphAttributes(ifNode);
    const edited = branches.map((a) => edit(sub(a.buf, a.field.find((f) => f.no === ATTRIBUTE.g)!), sot));
    if (branches.length !== 2 || edited.some((g) => g === null)) continue;
    const nodeParts = withBranches(ifNode, branches, edited as Uint8Array[]);
    const parts: Uint8Array[] = [];
    for (const f of graphFields) {
      if (f === nodeFields[i]) parts.push(...lengthDelimited(GRAPH.node, nodeParts));
      else parts.push(graph.subarray(f.start, f.end));
    }
    return concat(parts);
  }
  return null;
}
