// An acknowledged write survives kill -9: a child process creates objects and prints each
// name once create() returned; the test SIGKILLs it mid-way, reopens the database and
// finds every acknowledged object complete, and no partial one. Three rounds on one file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { DURABILITY_KEY, durabilityObject } from './durability-object.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const N = 200;
const KILL_AFTER = 100;

/** Runs the writer until it acknowledged KILL_AFTER objects, SIGKILLs it; returns the acknowledged names. */
async function writeAndKill(path: string, round: number, children: Set<number>): Promise<{ acknowledged: string[]; finished: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'durability-writer.ts'), path, String(round), String(N)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid) children.add(child.pid);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const acknowledged: string[] = [];
  let finished = false;
  const exited = new Promise<NodeJS.Signals | number | null>((done) => child.on('exit', (code, signal) => done(signal ?? code)));
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'done') { finished = true; continue; }
    acknowledged.push(line);
    if (acknowledged.length === KILL_AFTER) child.kill('SIGKILL');
  }
  const status = await exited;
  if (child.pid) children.delete(child.pid);
  assert.equal(status, 'SIGKILL', `the writer was killed (exit ${String(status)}; stderr: ${stderr})`);
  return { acknowledged, finished };
}

test('every acknowledged create survives SIGKILL of the writer, and no object is partial', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-durability-'));
  const children = new Set<number>();
  t.after(() => {
    for (const pid of children) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'store.db');
  const allAcknowledged: string[] = [];
  for (let round = 1; round <= 3; round++) {
    const { acknowledged, finished } = await writeAndKill(path, round, children);
    assert.ok(acknowledged.length >= KILL_AFTER && acknowledged.length < N, `killed mid-way in round ${round} (acknowledged ${acknowledged.length} of ${N})`);
    assert.equal(finished, false);
    allAcknowledged.push(...acknowledged);

    // Raw rows first: each one complete JSON, agreeing with its columns.
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT namespace, name, uid, resource_version, json FROM objects').all() as Array<{ namespace: string; name: string; uid: string; resource_version: number; json: string }>;
    const counter = (db.prepare(`SELECT value FROM meta WHERE key = 'resourceVersion'`).get() as { value: number }).value;
    db.close();
    for (const row of rows) {
      const object = JSON.parse(row.json) as { metadata: Record<string, unknown>; spec: unknown };
      assert.equal(object.metadata['name'], row.name);
      assert.equal(object.metadata['uid'], row.uid);
      assert.equal(object.metadata['resourceVersion'], String(row.resource_version));
      assert.ok(row.resource_version <= counter, 'no object is newer than the resourceVersion counter');
    }

    // Then through the store: every acknowledged object present and whole.
    const store = openSqliteStore({ path });
    const stored = new Map(store.list(DURABILITY_KEY).items.map((o) => [o.metadata.name, o]));
    assert.equal(stored.size, rows.length);
    assert.ok(stored.size <= allAcknowledged.length + round, 'at most one unacknowledged create per round was committed');
    for (const name of allAcknowledged) {
      const object = stored.get(name);
      assert.ok(object, `acknowledged ${name} is present after SIGKILL (round ${round})`);
      const expected = durabilityObject(name);
      assert.deepEqual(object.spec, expected.spec, `${name} spec complete`);
      assert.deepEqual(object.metadata.annotations, expected.metadata.annotations);
      assert.match(object.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.match(object.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(object.metadata.generation, 1);
      assert.match(object.metadata.resourceVersion, /^\d+$/);
    }
    // The counter and history continue where the killed writer left off.
    const next = store.create(DURABILITY_KEY, durabilityObject(`after-round-${round}`));
    assert.equal(Number(next.metadata.resourceVersion), counter + 1);
    allAcknowledged.push(next.metadata.name);
    store.close();
  }
});
