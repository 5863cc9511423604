// Create from YAML (pasted or uploaded; several documents separated by ---). Each document
// is POSTed to its collection, found through discovery; when the API refuses one, its Status
// message and each cause's message are shown beside the line of the field they name.
import { parseAllDocuments } from 'yaml';
import { api, ApiFailure, pathOf, type Obj, type Resource } from './api.ts';
import { h } from './dom.ts';
import { fieldPlace, lineOf } from './field-line.ts';

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

const discovered = new Map<string, Promise<ApiResourceList>>();

/** The collection a manifest goes to, from the API's discovery document for its apiVersion. */
async function resourceFor(apiVersion: string, kind: string): Promise<Resource> {
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  let doc = discovered.get(prefix);
  if (!doc) discovered.set(prefix, (doc = api<ApiResourceList>('GET', prefix)));
  const r = (await doc).resources.find((x) => x.kind === kind && !x.name.includes('/'));
  if (!r) throw new Error(`this server does not serve kind ${kind} in ${apiVersion}`);
  return { prefix, plural: r.name, namespaced: r.namespaced };
}

/** Renders the create page into `main`. */
export function createPage(main: HTMLElement, signal: AbortSignal): void {
  const text = h('textarea', { id: 'manifest', spellcheck: 'false', rows: '24', placeholder: 'Paste one or more manifests (YAML or JSON), separated by ---' });
  const upload = h('input', { type: 'file', id: 'upload', accept: '.yaml,.yml,.json,text/yaml,application/json' });
  const results = h('ul', { id: 'results', class: 'results' });
  const annotated = h('div', { id: 'annotated', class: 'annotated' });
  upload.addEventListener('change', () => {
    const file = upload.files?.[0];
    if (file) void file.text().then((t) => (text.value = t));
  });

  const create = async () => {
    const source = text.value;
    const notes = new Map<number, string[]>();
    const note = (line: number, message: string) => notes.set(line, [...(notes.get(line) ?? []), message]);
    results.replaceChildren();
    for (const doc of parseAllDocuments(source)) {
      if (signal.aborted) return;
      const start = lineOf(source, doc.range[0]);
      if (doc.errors.length > 0) {
        for (const e of doc.errors) note(e.linePos?.[0].line !== undefined ? e.linePos[0].line - 1 : start, `YAML: ${e.message}`);
        continue;
      }
      const object = doc.toJS() as Obj | null;
      if (!object || typeof object !== 'object') continue;
      const label = `${object.kind ?? '?'} ${object.metadata?.name ?? ''}`;
      try {
        const r = await resourceFor(String(object.apiVersion ?? ''), String(object.kind ?? ''));
        const created = await api('POST', pathOf(r, r.namespaced ? (object.metadata?.namespace ?? 'default') : undefined), object);
        const href = object.kind === 'VirtualMachineInstance' ? `#/vmi/${created.metadata.namespace}/${created.metadata.name}` : object.kind === 'PXEServer' ? `#/pxe/${created.metadata.namespace}/${created.metadata.name}` : '#/';
        results.append(h('li', { class: 'ok' }, 'created ', h('a', { href }, label)));
      } catch (err) {
        const status = err instanceof ApiFailure ? err.status : { message: err instanceof Error ? err.message : String(err) };
        results.append(h('li', { class: 'bad' }, `${label}: ${status.message ?? 'refused'}`));
        const causes = status.details?.causes ?? [];
        if (causes.length === 0) note(start, status.message ?? 'refused');
        for (const c of causes) {
          const place = c.field ? fieldPlace(doc, c.field) : undefined;
          note(place ? lineOf(source, place.offset) : start, `${c.field ?? ''}${c.field ? ': ' : ''}${c.message ?? c.reason ?? ''}${place && !place.exact ? ' (missing here)' : ''}`);
        }
      }
    }
    annotated.replaceChildren();
    if (notes.size === 0) return;
    source.split('\n').forEach((line, i) => {
      annotated.append(h('div', { class: notes.has(i) ? 'line marked' : 'line', 'data-line': String(i + 1) }, h('span', { class: 'ln' }, String(i + 1)), h('code', null, line || ' ')));
      for (const m of notes.get(i) ?? []) annotated.append(h('div', { class: 'cause', role: 'alert', 'data-line': String(i + 1) }, m));
    });
    annotated.querySelector('.cause')?.scrollIntoView({ block: 'center' });
  };

  main.append(
    h('h1', null, 'Create from YAML'),
    h('p', null, text),
    h('p', { class: 'actions' }, h('button', { type: 'button', id: 'create', onclick: () => void create() }, 'Create'), ' or upload ', upload),
    results,
    annotated,
  );
}
