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
  redfish: ['redfish', 'api', 'store', 'resources', 'lib'],
  daemon: ['daemon', 'web', 'redfish', 'api', 'controllers', 'runtime', 'network', 'pxe', 'store', 'resources', 'lib'],
  cli: ['cli', 'daemon', 'web', 'redfish', 'api', 'controllers', 'runtime', 'network', 'pxe', 'store', 'resources', 'lib'],
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

// Network and runtime read the typed device plan (resources/device-plan.ts), never the VMI
// spec: that is parsed once (resources/vmi-spec.ts) and planned once (planVmi), so every rule
// for a field (bootOrder, firmware, a NIC's MAC …) lives in one place. Two checks, each exact:
//  1. no import, not even a type import, of a module that declares or parses the VMI/VM spec
//     (a VmiSpec type in hand is how a module starts reading the spec again);
//  2. the word `spec` appears nowhere in their code once comments and string literals are
//     blanked (a string that is exactly 'spec' is kept: it is a key): `vmi.spec`, `o['spec']`,
//     `at(o, 'spec')`, `{ spec } =`, a `spec:` field or a variable all need it, while messages
//     that name a field (`'spec.domain.machine.type'`) are strings and pass.
// mac-admission.ts is the one exception: kubemacpool's mutating webhook, it writes MACs into
// the raw request body before admission parses it.
const PLAN_READERS = ['network', 'runtime'];
const SPEC_MODULES = /\/resources\/(vmi-schema|vmi-domain-schema|vmi-spec|vmi-validate|vmi-defaults|vmi-kind|vm-schema|vm-kind|vmi-[a-z]+-rules)\.ts$/;
const RAW_SPEC_ALLOWED = new Set(['network/mac-admission.ts']);

/** The code of a TypeScript file with comments and string/template text blanked (template `${…}` kept; a string that is exactly `spec` kept). */
function codeOnly(text: string): string {
  let out = '';
  let i = 0;
  const depth: number[] = []; // brace depth at each open template `${`
  let braces = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    const next = text[i + 1] ?? '';
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"') {
      const start = ++i;
      while (i < text.length && text[i] !== c && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      // A string that is exactly a key (`o['spec']`, `at(o, 'spec')`) is kept as the word.
      out += text.slice(start, i) === 'spec' ? 'spec' : '""';
      i++;
    } else if (c === '`' || (c === '}' && depth.length > 0 && depth[depth.length - 1] === braces)) {
      if (c === '}') depth.pop();
      i++;
      while (i < text.length && text[i] !== '`' && !(text[i] === '$' && text[i + 1] === '{')) i += text[i] === '\\' ? 2 : 1;
      if (text[i] === '$') {
        depth.push(braces);
        i += 2;
      } else i++;
      out += '``';
    } else {
      if (c === '{') braces++;
      if (c === '}') braces--;
      out += c;
      i++;
    }
  }
  return out;
}

test('network and runtime read the typed device plan, not the raw VMI spec', async () => {
  const violations: string[] = [];
  let checked = 0;
  for (const layer of PLAN_READERS) {
    for await (const file of files(join(src, layer))) {
      if (file.endsWith('.test.ts')) continue;
      const name = relative(src, file);
      const text = await readFile(file, 'utf8');
      checked++;
      for (const m of text.matchAll(IMPORT)) {
        const target = resolve(dirname(file), m[1] ?? m[2] ?? '');
        if (SPEC_MODULES.test(target)) violations.push(`${name} imports ${m[1] ?? m[2]} (the VMI spec; take the plan from resources/device-plan.ts)`);
      }
      if (RAW_SPEC_ALLOWED.has(name)) continue;
      codeOnly(text)
        .split('\n')
        .forEach((line, i) => {
          if (/\bspec\b/.test(line)) violations.push(`${name}:${i + 1} reads a spec: ${line.trim()}`);
        });
    }
  }
  assert.ok(checked > 0, 'expected to check some files');
  assert.deepEqual(violations, []);
});

test('the spec check sees through what it should and ignores comments and strings', () => {
  const hit = (code: string) => /\bspec\b/.test(codeOnly(code));
  assert.equal(hit('const d = vmi.spec.domain;'), true);
  assert.equal(hit("const d = vmi['spec'];"), true);
  assert.equal(hit("const d = at(vmi, 'spec');"), true);
  assert.equal(hit('const { spec } = vmi;'), true);
  assert.equal(hit('const s = `${vmi.spec.domain}`;'), true);
  assert.equal(hit("throw new E('spec.domain.machine.type'); // reads spec"), false);
  assert.equal(hit('/* spec */ const x = `a ${b} spec`;'), false);
});
