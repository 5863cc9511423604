// The built CLI loads each command's code lazily: what `pxevirt get` imports statically
// (main.js, then the get verb's chunk and everything they import, without dynamic imports)
// holds no QEMU, PXE, store, web or daemon code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KUBE_ENTRY, LAZY_BUILTINS, buildCli, lazyBuiltinSource } from '../../scripts/build-cli.ts';

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

test('kube.cjs loads child_process, fs/promises and https only when a verb uses them, not for `get`', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-cli-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await buildCli(join(dir, 'dist'));
  // `get vmi` with no kubeconfig: the get verb's modules are all initialised, then it fails.
  const script = `require(${JSON.stringify(join(dir, 'dist/cli', KUBE_ENTRY))}).runKubeVerb(['node', 'pxevirt', 'get', 'vmi']).then(() => process.stdout.write(JSON.stringify(process.moduleLoadList)));`;
  const { loaded, stderr } = await new Promise<{ loaded: string[]; stderr: string }>((done, fail) =>
    execFile(process.execPath, ['-e', script], { env: { ...process.env, KUBECONFIG: join(dir, 'none') } }, (err, stdout, stderr) => (stdout ? done({ loaded: JSON.parse(stdout) as string[], stderr }) : fail(new Error(`${err?.message}: ${stderr}`)))),
  );
  assert.ok(stderr.includes(join(dir, 'none')), `the get path ran up to reading the kubeconfig: ${stderr}`);
  // HTTPS is loaded at the first request that needs it, never for the local daemon's socket.
  for (const name of ['https', 'tls', 'http']) assert.ok(!loaded.includes(`NativeModule ${name}`), `${name} not loaded before a request`);
  for (const name of LAZY_BUILTINS) assert.ok(!loaded.includes(`NativeModule ${name}`), `${name} not loaded: ${loaded.filter((m) => m.startsWith('NativeModule')).join(' ')}`);
});

test('a lazy built-in stand-in calls the real function on first use', async () => {
  const real = await import('node:fs/promises');
  const source = lazyBuiltinSource('fs/promises', real as unknown as Record<string, unknown>);
  assert.match(source, /export function readFile\(/);
  assert.doesNotMatch(source, /constants/, 'only functions are stood in for');
  const { build } = await import('esbuild');
  const out = await build({ stdin: { contents: source, loader: 'js' }, format: 'cjs', platform: 'node', write: false });
  const module = { exports: {} as Record<string, (...args: unknown[]) => Promise<unknown>> };
  new Function('module', 'exports', 'require', out.outputFiles[0]!.text)(module, module.exports, (await import('node:module')).createRequire(import.meta.url));
  assert.equal(await module.exports.readFile!(new URL(import.meta.url), 'utf8'), await real.readFile(new URL(import.meta.url), 'utf8'));
});
