// The repo ships the seed manifests (examples/seed-scenario) for `make demo` on a fresh clone:
// they must stay byte-for-byte the spec's (../shared/seed-scenario) wherever that is present.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SPEC = resolve(ROOT, '../shared/seed-scenario');

for (const file of ['pxe-net-conf.yaml', 'vmi-pxe-boot.yaml']) {
  test(`examples/seed-scenario/${file} is the spec's manifest unchanged`, { skip: existsSync(join(SPEC, file)) ? false : `${SPEC} is not present` }, async () => {
    assert.equal(await readFile(join(ROOT, 'examples/seed-scenario', file), 'utf8'), await readFile(join(SPEC, file), 'utf8'));
  });
}
