/**
 * ONNX's protobuf wire format, read and written field by field: the graph edits in
 * `../models/` change a handful of node, input and output fields of files of 10–300 MB.
 *
 * Why hand-written: a general protobuf library (protobufjs + onnx.proto) would decode and
 * re-encode every initializer (hundreds of MB of garbage) and drop any field its schema does not
 * know; this walks the wire format, edits lists of fields and copies every other byte (weights
 * included) unchanged.
 */

/** One field of a protobuf message: where its bytes are, and its value's for length-delimited ones. */
export interface Field {
  no: number;
  wire: number;
  /** The whole field, tag included. */
  start: number;
  end: number;
  /** The value's bytes (length-delimited fields). */
  valueStart: number;
  /** The varint value (wire type 0). */
  varint: number;
}

export function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
}

export function fields(buf: Uint8Array, start = 0, end = buf.length): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [tag, afterTag] = readVarint(buf, pos);
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    pos = afterTag;
    let valueStart = pos;
    let varint = 0;
    if (wire === 0) [varint, pos] = readVarint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [length, after] = readVarint(buf, pos);
      valueStart = after;
      pos = after + length;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (pos > end) throw new Error('truncated field');
    out.push({ no, wire, start: fieldStart, end: pos, valueStart, varint });
  }
  return out;
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();
export const text = (buf: Uint8Array, f: Field) => utf8.decode(buf.subarray(f.valueStart, f.end));
export const sub = (buf: Uint8Array, f: Field) => buf.subarray(f.valueStart, f.end);

export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Bytes of one length-delimited field. */
export function lengthDelimited(no: number, parts: Uint8Array[]): Uint8Array[] {
  const length = parts.reduce((s, p) => s + p.length, 0);
  return [Uint8Array.from([...varint(no * 8 + 2), ...varint(length)]), ...parts];
}

export const stringField = (no: number, s: string) => lengthDelimited(no, [encoder.encode(s)]);

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Field numbers of onnx.proto.
export const MODEL_GRAPH = 7;
export const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
export const NODE = { input: 1, output: 2, opType: 4, attribute: 5 } as const;
export const ATTRIBUTE = { name: 1, g: 6, ints: 8 } as const;
export const TENSOR_NAME = 8;
export const VALUE_INFO_NAME = 1;
export const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM = 1;
const FLOAT = 1;

export interface Node {
  bytes: Uint8Array;
  inputs: string[];
  outputs: string[];
  opType: string;
  attributes: { name: string; field: Field[]; buf: Uint8Array }[];
}

export function parseNode(buf: Uint8Array): Node {
  const node: Node = { bytes: buf, inputs: [], outputs: [], opType: '', attributes: [] };
  for (const f of fields(buf)) {
    if (f.no === NODE.input) node.inputs.push(text(buf, f));
    else if (f.no === NODE.output) node.outputs.push(text(buf, f));
    else if (f.no === NODE.opType) node.opType = text(buf, f);
    else if (f.no === NODE.attribute) {
      const a = sub(buf, f);
      const af = fields(a);
      const name = af.find((x) => x.no === ATTRIBUTE.name);
      node.attributes.push({ name: name ? text(a, name) : '', field: af, buf: a });
    }
  }
  return node;
}

/** The node's bytes with some inputs renamed (every other field copied as it was). */
export function renameInputs(node: Node, rename: Map<string, string>): Uint8Array {
  if (!node.inputs.some((i) => rename.has(i))) return node.bytes;
  const parts: Uint8Array[] = [];
  for (const f of fields(node.bytes)) {
    const name = f.no === NODE.input ? text(node.bytes, f) : null;
    if (name !== null && rename.has(name)) parts.push(...stringField(NODE.input, rename.get(name)!));
    else parts.push(node.bytes.subarray(f.start, f.end));
  }
  return concat(parts);
}

export function intsOf(a: { field: Field[]; buf: Uint8Array }): number[] {
  const out: number[] = [];
  for (const f of a.field) {
    if (f.no !== ATTRIBUTE.ints) continue;
    if (f.wire === 0) out.push(f.varint);
    else if (f.wire === 2) {
      let pos = f.valueStart;
      while (pos < f.end) {
        const [v, next] = readVarint(a.buf, pos);
        out.push(v);
        pos = next;
      }
    }
  }
  return out;
}

export function nameOf(buf: Uint8Array, nameField: number): string {
  const f = fields(buf).find((x) => x.no === nameField);
  return f ? text(buf, f) : '';
}

/** A model's main graph: its fields and bytes (null when the model has none). */
export function readGraph(model: Uint8Array) {
  const modelFields = fields(model);
  const graphField = modelFields.find((f) => f.no === MODEL_GRAPH && f.wire === 2);
  if (!graphField) return null;
  const graph = sub(model, graphField);
  return { modelFields, graphField, graph, graphFields: fields(graph) };
}

/** The model's bytes with its graph replaced by `parts` (every other field copied as it was). */
export function withGraph(model: Uint8Array, read: NonNullable<ReturnType<typeof readGraph>>, parts: Uint8Array[]): Uint8Array {
  const out: Uint8Array[] = [];
  for (const f of read.modelFields) {
    if (f === read.graphField) out.push(...lengthDelimited(MODEL_GRAPH, parts));
    else out.push(model.subarray(f.start, f.end));
  }
  return concat(out);
}

/** A float32 graph input or output of unstated shape. */
export function floatValueInfo(field: number, name: string): Uint8Array[] {
  const tensorType = concat(lengthDelimited(TYPE_TENSOR, [Uint8Array.from([TENSOR_TYPE_ELEM * 8, FLOAT])]));
  return lengthDelimited(field, [...stringField(VALUE_INFO_NAME, name), ...lengthDelimited(VALUE_INFO_TYPE, [tensorType])]);
}

/** `fn`'s result, or null when it throws (bytes this cannot read). */
export function orNull<T>(fn: () => T | null): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/** A NodeProto of `opType` with these inputs and outputs. */
export function nodeBytes(opType: string, inputs: string[], outputs: string[]): Uint8Array[] {
  return lengthDelimited(GRAPH.node, [...inputs.flatMap((i) => stringField(NODE.input, i)), ...outputs.flatMap((o) => stringField(NODE.output, o)), ...stringField(NODE.opType, opType)]);
}

/** A node's graph-valued attributes (an `If`'s `then_branch` and `else_branch`), in field order. */
export function graphAttributes(node: Node): Node['attributes'] {
  return node.attributes.filter((a) => a.field.some((f) => f.no === ATTRIBUTE.g));
}

/**
 * The fields of a node with graph attributes (`branches`, from graphAttributes) replaced by
 * `graphs`, and `outputs` appended; every other field copied as it was.
 */
export function withBranches(node: Node, branches: Node['attributes'], graphs: Uint8Array[], outputs: string[] = []): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let attribute = 0; // parseNode lists the attributes in the order of their fields
  for (const f of fields(node.bytes)) {
    const at = f.no === NODE.attribute ? branches.indexOf(node.attributes[attribute++]) : -1;
    if (at < 0) {
      parts.push(node.bytes.subarray(f.start, f.end));
      continue;
    }
    const a = branches[at];
    parts.push(...lengthDelimited(NODE.attribute, a.field.map((af) => (af.no === ATTRIBUTE.g ? concat(lengthDelimited(ATTRIBUTE.g, [graphs[at]])) : a.buf.subarray(af.start, af.end)))));
  }
  parts.push(...outputs.flatMap((o) => stringField(NODE.output, o)));
  return parts;
}
