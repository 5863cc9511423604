// The Swagger 2.0 document at /openapi/v2 (JSON), converted from the per-group-version
// OpenAPI v3 documents so both come from the kinds' one schema declaration. Older clients
// and `kubectl explain --output=plaintext-openapiv2` read it.
import { openapiDocument } from './openapi.ts';
import type { Registry } from './registry.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Points v3 component references at v2 definitions, everywhere below `value`. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', '#/definitions/') : rewriteRefs(v);
  return out;
}

/** A v3 operation as a v2 one: the request body becomes a `body` parameter, content types move to consumes/produces. */
function operationV2(op: Obj): Obj {
  const { requestBody, responses, parameters, ...rest } = op;
  const params = Array.isArray(parameters) ? parameters.map((p: Obj) => ({ name: p.name, in: p.in, description: p.description, type: 'string', uniqueItems: true, ...(p.required ? { required: true } : {}) })) : [];
  const out: Obj = { ...rest, schemes: ['https'] };
  if (isObj(requestBody) && isObj(requestBody.content)) {
    const [first] = Object.values(requestBody.content) as Obj[];
    out.consumes = Object.keys(requestBody.content);
    params.push({ name: 'body', in: 'body', required: true, schema: first?.schema } as never);
  }
  if (params.length > 0) out.parameters = params;
  const ok = isObj(responses) ? (responses['200'] as Obj | undefined) : undefined;
  const content = isObj(ok?.content) ? ok.content : {};
  out.produces = Object.keys(content);
  const [firstResponse] = Object.values(content) as Obj[];
  out.responses = { '200': { description: 'OK', ...(firstResponse?.schema ? { schema: firstResponse.schema } : {}) }, '401': { description: 'Unauthorized' } };
  return out;
}

/** The whole Swagger 2.0 document: every served group-version's paths and definitions. */
export function openapiV2Document(registry: Registry, version: string): Obj {
  const paths: Obj = {};
  const definitions: Obj = {};
  for (const { group, versions } of registry.groups()) {
    for (const v of versions) {
      const doc = openapiDocument(registry, group, v);
      if (!doc) continue;
      for (const [path, item] of Object.entries(doc.paths as Obj)) {
        const converted: Obj = {};
        for (const [method, op] of Object.entries(item as Obj)) {
          converted[method] = method === 'parameters' ? (op as Obj[]).map((p) => ({ name: p.name, in: p.in, description: p.description, required: true, type: 'string', uniqueItems: true })) : operationV2(op as Obj);
        }
        paths[path] = converted;
      }
      Object.assign(definitions, (doc.components as { schemas: Obj }).schemas);
    }
  }
  return rewriteRefs({ swagger: '2.0', info: { title: 'pxevirt', version }, paths, definitions }) as Obj;
}
