// The browser code (src/web/client) is outside the root tsconfig (it needs the DOM library,
// which the Node code must not see); this type-checks it with its own tsconfig.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

test('the web UI\'s browser code type-checks against the DOM library', { timeout: 180_000 }, async () => {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const result = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', join(ROOT, 'src/web/client')], { cwd: ROOT }).then(
    () => ({ code: 0, out: '' }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? 1, out: err.stdout ?? '' }),
  );
  assert.equal(result.code, 0, result.out);
});
