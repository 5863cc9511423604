// Imports point down only (DESIGN.md "Layers"): this test fails on an upward or sideways import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** For each layer, the layers it may import from (itself included). */
const ALLOWED: Record<string, readonly string[]> = {
  lib: ['lib'],
  resources: ['resources', 'lib'],
  pxe: ['pxe', 'resources', 'lib'],
  store: ['store', 'resources', 'lib'],
  network: ['network', 'resources', 'lib'],
  runtime: ['runtime', 'resources', 'lib'],
  controllers: ['controllers', 'runtime', 'network', 'store', 'resources', 'lib'],
  api: ['api', 'store', 'resources', 'lib'],
  web: ['web', 'api', 'resources', 'lib'],
  daemon: ['daemon', 'web', 'api', 'controllers', 'runtime', 'network', 'pxe', 'store', 'resources', 'lib'],
  cli: ['cli', 'daemon', 'web', 'api', 'controllers', 'runtime', 'network', 'pxe', 'store', 'resources', 'lib'],
};

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

test('every import in src points to the same or a lower layer', async () => {
  const violations: string[] = [];
  let checked = 0;
  for await (const file of files(src)) {
    const layer = relative(src, file).split('/')[0] ?? '';
    const allowed = ALLOWED[layer];
    assert.ok(allowed, `src/${layer} is not a layer named in DESIGN.md`);
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? '';
      if (!spec.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(file), spec)).split('/')[0] ?? '';
      checked++;
      // Unit tests may use the shared test helpers in test/helpers.
      if (file.endsWith('.test.ts') && target === '..' && resolve(dirname(file), spec).includes('/test/helpers/')) continue;
      if (!allowed.includes(target)) violations.push(`${relative(src, file)} imports ${spec} (layer ${target}; ${layer} may import ${allowed.join(', ')})`);
    }
  }
  assert.ok(checked > 0, 'expected to check some imports');
  assert.deepEqual(violations, []);
});
