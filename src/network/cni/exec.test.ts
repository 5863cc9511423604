import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execPlugin, findPlugin } from './exec.ts';

async function script(t: { after(fn: () => unknown): void }, body: string): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pxv-cni-exec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'fake');
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return { dir, path };
}

const base = { plugin: 'fake', binary: 'fake', timeoutMs: 10_000 };

test('a plugin gets its config on stdin and only the given CNI_* variables', async (t) => {
  const { path } = await script(t, 'cat; echo " $CNI_COMMAND $CNI_IFNAME ${CNI_CONTAINERID:-none}" ; echo oops >&2');
  process.env.CNI_CONTAINERID = 'inherited';
  t.after(() => delete process.env.CNI_CONTAINERID);
  const out = await execPlugin({ ...base, path, env: { CNI_COMMAND: 'ADD', CNI_IFNAME: 'net1' }, stdin: '{"a":1}' });
  assert.deepEqual(out, { exitCode: 0, stdout: '{"a":1} ADD net1 none\n', stderr: 'oops\n' });
});

test('a non-zero exit is reported with its output, not thrown', async (t) => {
  const { path } = await script(t, 'echo \'{"code":999,"msg":"no"}\'; exit 1');
  const out = await execPlugin({ ...base, path, env: {}, stdin: '' });
  assert.equal(out.exitCode, 1);
  assert.equal(out.stdout.trim(), '{"code":999,"msg":"no"}');
});

test('a plugin past its deadline is killed and marked timed out', async (t) => {
  const { path } = await script(t, 'exec sleep 30');
  const out = await execPlugin({ ...base, path, env: {}, stdin: '', timeoutMs: 200 });
  assert.equal(out.timedOut, true);
  assert.equal(out.exitCode, null);
});

test('an abort kills the plugin and rejects with the reason', async (t) => {
  const { path } = await script(t, 'exec sleep 30');
  const ac = new AbortController();
  const pending = execPlugin({ ...base, path, env: {}, stdin: '', signal: ac.signal });
  ac.abort(new Error('stop'));
  await assert.rejects(pending, /stop/);
});

test('plugins are found in the first dir that has an executable of that name', async (t) => {
  const { dir, path } = await script(t, 'exit 0');
  assert.equal(await findPlugin('fake', ['/nonexistent', dir]), path);
  assert.equal(await findPlugin('missing', [dir]), undefined);
  assert.equal(await findPlugin('../fake', [dir]), undefined);
});
