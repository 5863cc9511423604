// The /openapi/v2 document in protobuf (gnostic's openapi_v2.Document), which client-go's
// OpenAPISchema() asks for and the only form it decodes (kubectl explain
// --output=plaintext-openapiv2, kubectl's client-side validation fallback). A minimal
// encoder for the subset the Swagger document from openapi-v2.ts uses; field numbers are
// those of gnostic's OpenAPIv2.proto.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Protobuf wire writer: fields appended in order into a list of chunks. */
class Message {
  readonly #parts: Buffer[] = [];
  #tag(field: number, wire: number): void {
    this.#varint((field << 3) | wire);
  }
  #varint(n: number): void {
    const bytes: number[] = [];
    let v = n;
    while (v > 0x7f) {
      bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    this.#parts.push(Buffer.from(bytes));
  }
  string(field: number, value: unknown): this {
    if (typeof value !== 'string' || value === '') return this;
    return this.bytes(field, Buffer.from(value));
  }
  strings(field: number, values: unknown): this {
    if (Array.isArray(values)) for (const v of values) this.string(field, String(v));
    return this;
  }
  bool(field: number, value: unknown): this {
    if (value !== true) return this;
    this.#tag(field, 0);
    this.#varint(1);
    return this;
  }
  bytes(field: number, value: Buffer): this {
    this.#tag(field, 2);
    this.#varint(value.length);
    this.#parts.push(value);
    return this;
  }
  message(field: number, value: Message | undefined): this {
    return value ? this.bytes(field, value.encode()) : this;
  }
  encode(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** An `Any` holding YAML (JSON is YAML). */
const anyOf = (value: unknown) => new Message().string(2, JSON.stringify(value));
const named = (name: string, value: Message) => new Message().string(1, name).message(2, value);

function vendorExtensions(msg: Message, field: number, object: Obj): void {
  for (const [k, v] of Object.entries(object)) if (k.startsWith('x-')) msg.message(field, named(k, anyOf(v)));
}

function schema(s: Obj): Message {
  const m = new Message().string(1, s.$ref).string(2, s.format).string(4, s.description);
  if (s.default !== undefined) m.message(5, anyOf(s.default));
  m.strings(19, s.required);
  if (Array.isArray(s.enum)) for (const v of s.enum) m.message(20, anyOf(v));
  if (isObj(s.additionalProperties)) m.message(21, new Message().message(1, schema(s.additionalProperties)));
  else if (typeof s.additionalProperties === 'boolean') m.message(21, new Message().bool(2, s.additionalProperties));
  if (typeof s.type === 'string') m.message(22, new Message().string(1, s.type));
  if (isObj(s.items)) m.message(23, new Message().message(1, schema(s.items)));
  if (isObj(s.properties)) {
    const props = new Message();
    for (const [name, p] of Object.entries(s.properties)) if (isObj(p)) props.message(1, named(name, schema(p)));
    m.message(25, props);
  }
  vendorExtensions(m, 31, s);
  return m;
}

function parameter(p: Obj): Message {
  if (p.in === 'body') {
    const body = new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required);
    if (isObj(p.schema)) body.message(5, schema(p.schema));
    return new Message().message(1, new Message().message(1, body));
  }
  // Query and path sub-schemas share the first fields; type and uniqueItems sit at different numbers.
  const query = p.in === 'query';
  const sub = new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(query ? 6 : 5, p.type).bool(query ? 20 : 19, p.uniqueItems);
  return new Message().message(1, new Message().message(2, new Message().message(query ? 3 : 4, sub)));
}

function operation(op: Obj): Message {
  const m = new Message().strings(1, op.tags).string(3, op.description).string(5, op.operationId).strings(6, op.produces).strings(7, op.consumes);
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObj(p)) m.message(8, parameter(p));
  const responses = new Message();
  for (const [code, r] of Object.entries(isObj(op.responses) ? op.responses : {})) {
    if (!isObj(r)) continue;
    const response = new Message().string(1, r.description);
    if (isObj(r.schema)) response.message(2, new Message().message(1, schema(r.schema)));
    responses.message(1, named(code, new Message().message(1, response)));
  }
  m.message(9, responses).strings(10, op.schemes);
  vendorExtensions(m, 13, op);
  return m;
}

const METHODS: Array<[string, number]> = [['get', 2], ['put', 3], ['post', 4], ['delete', 5], ['patch', 8]];

/** Encodes a Swagger 2.0 document (openapiV2Document's output) as gnostic's openapi_v2.Document. */
export function encodeOpenapiV2(doc: Obj): Buffer {
  const info = isObj(doc.info) ? doc.info : {};
  const paths = new Message();
  for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
    if (!isObj(item)) continue;
    const pathItem = new Message();
    for (const [method, field] of METHODS) if (isObj(item[method])) pathItem.message(field, operation(item[method]));
    if (Array.isArray(item.parameters)) for (const p of item.parameters) if (isObj(p)) pathItem.message(9, parameter(p));
    paths.message(2, named(path, pathItem));
  }
  const definitions = new Message();
  for (const [name, s] of Object.entries(isObj(doc.definitions) ? doc.definitions : {})) if (isObj(s)) definitions.message(1, named(name, schema(s)));
  return new Message()
    .string(1, doc.swagger)
    .message(2, new Message().string(1, info.title).string(2, info.version))
    .message(8, paths)
    .message(9, definitions)
    .encode();
}

/** The content type client-go asks /openapi/v2 for. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
