// Reads `-f FILE|DIR|-`: multi-document YAML or JSON, `kind: *List` expanded into items.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { UsageError } from '../client/cli-errors.ts';

export type Manifest = Record<string, unknown>;

/** One object from a file, with the name kubectl shows as its source. */
export interface SourcedObject {
  object: Manifest;
  source: string;
}

/** Parses YAML/JSON text into objects; Lists are expanded; empty documents skipped. */
export function parseManifests(text: string, source: string): SourcedObject[] {
  const out: SourcedObject[] = [];
  const docs = parseAllDocuments(text, { version: '1.1' });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new UsageError(`error parsing ${source}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`error validating data from ${source}: expected an object, found ${Array.isArray(value) ? 'an array' : typeof value}`);
    const obj = value as Manifest;
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      for (const item of obj.items) out.push({ object: item as Manifest, source });
      continue;
    }
    out.push({ object: obj, source });
  }
  for (const { object } of out) {
    if (!object.apiVersion || !object.kind) {
      const missing = !object.apiVersion ? 'apiVersion' : 'kind';
      throw new UsageError(`error validating data from ${source}: ${missing} not set`);
    }
  }
  return out;
}

/** Reads every -f argument in order (`-` is stdin; directories give their .yaml/.yml/.json files). */
export async function readManifests(files: readonly string[], readStdin: () => Promise<string>, verb = 'apply'): Promise<SourcedObject[]> {
  if (files.length === 0) throw new UsageError('must specify one of -f and -k');
  const out: SourcedObject[] = [];
  for (const file of files) {
    if (file === '-') {
      out.push(...parseManifests(await readStdin(), 'STDIN'));
      continue;
    }
    let isDir = false;
    try {
      isDir = (await stat(file)).isDirectory();
    } catch {
      throw new UsageError(`the path "${file}" does not exist`);
    }
    const paths = isDir ? (await readdir(file)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort().map((n) => join(file, n)) : [file];
    for (const p of paths) out.push(...parseManifests(await readFile(p, 'utf8'), p));
  }
  if (out.length === 0) throw new UsageError(`no objects passed to ${verb}`);
  return out;
}
