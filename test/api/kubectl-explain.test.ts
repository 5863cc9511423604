// kubectl 1.32 against `pxevirt up`: aggregated discovery (one request for /api, one for
// /apis, no per-group-version requests), and `kubectl explain` on every field of every kind,
// from OpenAPI v3 (the default) and from /openapi/v2 in protobuf (plaintext-openapiv2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Schema } from '../../src/resources/kind.ts';
import { KINDS } from '../../src/resources/kinds.ts';
import { kubectlMissing, startDaemonProcess, type DaemonProcess } from './daemon-process.ts';

const skip = kubectlMissing();

/** Every field path below a schema, as `kubectl explain --recursive` lists them (array items and nested objects descend). */
function fieldPaths(schema: Schema, prefix = ''): string[] {
  const out: string[] = [];
  const below = schema.type === 'array' && schema.items ? schema.items : schema;
  for (const [name, child] of Object.entries(below.properties ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const path = prefix ? `${prefix}.${name}` : name;
    out.push(path, ...fieldPaths(child, path));
  }
  return out;
}

/** The field paths `kubectl explain --recursive` printed (v3: two spaces of indent per level; v2: three). */
function printedPaths(text: string, step: number): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('FIELDS:'));
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^( +)([^\s<]+)\t</.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / step - 1;
    stack.length = depth;
    stack.push(m[2]!);
    out.push(stack.join('.'));
  }
  return out;
}

async function ok(d: DaemonProcess, args: string[]): Promise<string> {
  const r = await d.kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test('kubectl reads aggregated discovery and explains every field of every kind', { skip }, async (t) => {
  const d = await startDaemonProcess(t);
  const cache = mkdtempSync(join(tmpdir(), 'pxevirt-kubectl-cache-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));

  await t.test('discovery takes one request for /api and one for /apis', async () => {
    const r = await d.kubectl(['get', 'vmi', '--cache-dir', cache, '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    const gets = [...r.stderr.matchAll(/GET https:\/\/[^/]+(\/\S*?)(\?\S*)? 200/g)].map((m) => m[1]);
    assert.deepEqual(gets, ['/api', '/apis', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances'], r.stderr);
    const resources = await ok(d, ['api-resources', '--cache-dir', cache]);
    assert.match(resources, /^virtualmachineinstances\s+vmi,vmis\s+kubevirt\.io\/v1\s+true\s+VirtualMachineInstance$/m);
    assert.match(resources, /^pxeservers\s+pxe\s+pxe\.pxevirt\.io\/v1alpha1\s+true\s+PXEServer$/m);
  });

  for (const kind of KINDS) {
    for (const version of kind.versions) {
      const resource = kind.plural;
      const apiVersion = kind.group ? `${kind.group}/${version}` : version;
      const expected = fieldPaths(kind.schema);
      await t.test(`explain ${resource} ${version}: every field, from OpenAPI v3 and v2`, async () => {
        for (const output of ['plaintext', 'plaintext-openapiv2']) {
          const text = await ok(d, ['explain', resource, '--recursive', `--api-version=${apiVersion}`, `--output=${output}`]);
          assert.deepEqual(printedPaths(text, output === 'plaintext' ? 2 : 3).sort(), [...expected].sort(), `${output}:\n${text}`);
        }
        // A few of the deepest fields, one by one.
        const deepest = [...expected].sort((a, b) => b.split('.').length - a.split('.').length).slice(0, 3);
        for (const field of deepest) {
          const text = await ok(d, ['explain', `${resource}.${field}`, `--api-version=${apiVersion}`]);
          assert.match(text, new RegExp(`FIELD: +${field.split('.').pop()} <`), text);
        }
      });
    }
  }
});
