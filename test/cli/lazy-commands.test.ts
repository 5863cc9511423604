// The built CLI loads each command's code lazily: what `pxevirt get` imports statically
// (main.js, then the get verb's chunk and everything they import, without dynamic imports)
// holds no QEMU, PXE, store, web or daemon code.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KUBE_ENTRY, buildCli } from '../../scripts/build-cli.ts';

test('pxevirt get loads no QEMU, PXE, store, web or daemon code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-cli-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { metafile } = await buildCli(join(dir, 'dist'));
  const outputs = metafile.outputs;
  const main = Object.entries(outputs).find(([, o]) => o.entryPoint === 'src/cli/main.ts')?.[0];
  assert.ok(main, `main.js among the outputs: ${Object.keys(outputs).join(', ')}`);
  // The get verb's chunk is the one whose entry point is src/cli/verbs/get.ts.
  const get = Object.entries(outputs).find(([, o]) => o.entryPoint === 'src/cli/verbs/get.ts')?.[0];
  assert.ok(get, 'a chunk for the get verb (loaded by import())');
  const loaded = new Set<string>();
  const visit = (out: string) => {
    if (loaded.has(out)) return;
    loaded.add(out);
    for (const i of outputs[out]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(main);
  // main.js imports kube-commands.ts by import(), which imports the verb by import() too.
  for (const [out, o] of Object.entries(outputs)) if (o.entryPoint === 'src/cli/kube-commands.ts' || o.entryPoint === 'src/cli/guest-commands.ts') visit(out);
  visit(get);
  const inputs = [...loaded].flatMap((out) => Object.keys(outputs[out]?.inputs ?? {}));
  assert.ok(inputs.includes('src/cli/verbs/get.ts'));
  const heavy = inputs.filter((i) => /^src\/(runtime|pxe|store|web|daemon|controllers|network)\//.test(i));
  assert.deepEqual(heavy, [], 'modules `pxevirt get` should not load');
});

test('the kube verbs\' single-file entry (kube.cjs) holds no QEMU, PXE, store, web or daemon code either', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-cli-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { metafile } = await buildCli(join(dir, 'dist'));
  const kube = Object.entries(metafile.outputs).find(([out]) => out.endsWith(`/${KUBE_ENTRY}`))?.[1];
  assert.ok(kube, `${KUBE_ENTRY} among the outputs`);
  const inputs = Object.keys(kube.inputs);
  assert.ok(inputs.includes('src/cli/verbs/get.ts') && inputs.includes('src/cli/verbs/console.ts'), 'the kube and guest verbs are in it');
  const heavy = inputs.filter((i) => /^src\/(runtime|pxe|store|web|daemon|controllers|network)\//.test(i));
  assert.deepEqual(heavy, [], 'modules the kube verbs should not load');
});
