// Where a Status cause's field (`spec.domain.devices.interfaces[1].macAddress`) is in the
// YAML the user wrote, so the API's message can be shown beside that line. Pure: runs in
// the browser and in node's tests.
import { isMap, isScalar, isSeq, type Document } from 'yaml';

/** `a.b[1].c` and `metadata.labels[kubevirt.io/x]` as path segments. */
export function fieldSegments(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else out.push(/^\d+$/.test(m[2] ?? '') ? Number(m[2]) : (m[2] ?? ''));
  }
  return out;
}

export interface FieldPlace {
  /** Offset in the source text of the field's key (or of the closest ancestor present). */
  offset: number;
  /** False when the field itself is absent and `offset` is its closest ancestor's. */
  exact: boolean;
}

/** The place of `field` in a parsed YAML document; undefined when the document is empty. */
export function fieldPlace(doc: Document, field: string): FieldPlace | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as { range?: [number, number, number] } | null)?.range?.[0];
  for (const seg of fieldSegments(field)) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return offset === undefined ? undefined : { offset, exact: false };
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as { range?: [number, number, number] } | undefined;
      if (!item) return offset === undefined ? undefined : { offset, exact: false };
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset === undefined ? undefined : { offset, exact: false };
    }
  }
  return offset === undefined ? undefined : { offset, exact: true };
}

/** The 0-based line of an offset in `text`. */
export function lineOf(text: string, offset: number): number {
  let line = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
