// Test support for the store's tests: a store in a fresh temp directory, closed and removed
// when the test ends, with a clock the test moves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openSqliteStore } from './sqlite-store.ts';
import type { SqliteStoreOptions } from './sqlite-store.ts';
import type { NewObject, ObjectStore, ResourceKey, WatchEvent } from './types.ts';

export const VMI: ResourceKey = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };
export const NNCP: ResourceKey = { group: 'nmstate.io', resource: 'nodenetworkconfigurationpolicies' };

/** A temp directory removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Fixture {
  store: ObjectStore;
  path: string;
  clock: { now: Date };
  /** Opens the same database again (after store.close()). */
  reopen(): ObjectStore;
}

/** A store on a temp file; every store it opens is closed after the test. */
export function openTestStore(t: TestContext, options: Partial<SqliteStoreOptions> = {}): Fixture {
  const path = join(tempDir(t), 'store.db');
  const clock = { now: new Date('2024-05-01T10:00:00.123Z') };
  const open = () => {
    const store = openSqliteStore({ now: () => clock.now, synchronous: 'NORMAL', ...options, path });
    t.after(() => store.close());
    return store;
  };
  return { store: open(), path, clock, reopen: open };
}

/** A VMI-shaped object. */
export function vmi(name: string, options: { namespace?: string; labels?: Record<string, string>; spec?: Record<string, unknown> } = {}): NewObject {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: options.namespace ?? 'default', ...(options.labels ? { labels: options.labels } : {}) },
    spec: options.spec ?? { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } },
  };
}

/** Collects a watch's events until the test ends (or `controller` aborts). */
export function collect(store: ObjectStore, t: TestContext, key: ResourceKey, options: Parameters<ObjectStore['watch']>[1] = {}) {
  const events: WatchEvent[] = [];
  const controller = new AbortController();
  t.after(() => controller.abort());
  store.watch(key, options, (e) => events.push(e), controller.signal);
  const summary = () => events.map((e) => `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`);
  return { events, controller, summary };
}
