// bin/pxevirt never runs a stale build. The kube verbs run from dist/cli/kube.cjs when none of the
// sources bundled into it (dist/cli/kube.inputs) changed since the build, whatever else changed in
// src/ — a cheap check on the `pxevirt get` path; any other command needs all of src/ older than
// the build, else runs the TypeScript through tsx. Without src/ (an installed package), dist/ runs.
// A copy of bin/pxevirt in a temp tree with stand-ins that print which one ran.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './cli-process.ts';

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => execFile(bin, args, { timeout: 60_000 }, (err, stdout, stderr) => (err ? fail(new Error(`${args.join(' ')}: ${stderr}`)) : done(stdout.trim()))));
}

test('bin/pxevirt picks kube.cjs, main.js or the sources by what changed since the build', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-bin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string, mtimeS?: number) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    if (mtimeS !== undefined) utimesSync(join(dir, path), mtimeS, mtimeS);
  };
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(ROOT, 'bin/pxevirt'), join(dir, 'bin/pxevirt'));
  copyFileSync(join(ROOT, 'bin/package.json'), join(dir, 'bin/package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  write('package.json', '{ "type": "module" }\n');
  const before = 1_700_000_000;
  const builtAt = before + 100;
  write('src/cli/main.ts', "process.stdout.write('source\\n');\n", before);
  write('src/cli/verbs/get.ts', 'export {};\n', before);
  write('src/cli/up.ts', 'export {};\n', before);
  write('dist/cli/kube.cjs', "exports.runKubeVerb = async (argv) => { if (argv[2] !== 'get') return false; process.stdout.write('kube.cjs\\n'); return true; };\n");
  write('dist/cli/kube.inputs', 'src/cli/main.ts\nsrc/cli/verbs/get.ts\n');
  write('dist/cli/main.js', "process.stdout.write('main.js\\n');\n");
  write('dist/package.json', '{ "type": "module" }\n', builtAt);
  const bin = join(dir, 'bin/pxevirt');

  assert.equal(await run(bin, ['get', 'vmi']), 'kube.cjs', 'a kube verb, nothing changed');
  assert.equal(await run(bin, ['up']), 'main.js', 'another command, nothing changed');

  write('src/cli/up.ts', 'export const changed = 1;\n', builtAt + 10);
  assert.equal(await run(bin, ['get', 'vmi']), 'kube.cjs', 'a source kube.cjs does not bundle changed');
  assert.equal(await run(bin, ['up']), 'source', 'the same change makes main.js stale');

  write('src/cli/verbs/get.ts', 'export const changed = 1;\n', builtAt + 10);
  assert.equal(await run(bin, ['get', 'vmi']), 'source', 'a source bundled into kube.cjs changed');

  rmSync(join(dir, 'src/cli/verbs/get.ts'));
  write('src/cli/up.ts', 'export {};\n', before);
  assert.equal(await run(bin, ['get', 'vmi']), 'main.js', 'a source bundled into kube.cjs is gone: the whole build decides (as before kube.inputs)');

  rmSync(join(dir, 'src'), { recursive: true });
  assert.equal(await run(bin, ['get', 'vmi']), 'kube.cjs', 'no src/: an installed package');
  assert.equal(await run(bin, ['up']), 'main.js', 'no src/: an installed package');
});
