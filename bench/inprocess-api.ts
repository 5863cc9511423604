// The daemon's API handler over a real store in this process, driven as a function (no TLS,
// sockets or client processes): what bench/api-inprocess.ts and bench/store-memory.ts share.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createApiHandler } from '../src/api/handler.ts';
import { apiRequest } from '../src/api/handler-fixture.ts';
import { isDeferred, type ApiResponse } from '../src/api/http-types.ts';
import { chainMutators } from '../src/daemon/pxe-roots.ts';
import { macPoolMutator } from '../src/daemon/mac-pool.ts';
import { instancetypeMutator } from '../src/daemon/instancetype-mutator.ts';
import { KINDS } from '../src/resources/kinds.ts';
import { openSqliteStore } from '../src/store/sqlite-store.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A store in a fresh temp dir (`prefix`), the handler with MAC and instancetype admission, and helpers to call it. */
export function inProcessApi(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = openSqliteStore({ path: join(dir, 'pxevirt.db') });
  const handler = createApiHandler({
    store,
    kinds: KINDS,
    token: 't',
    mutate: chainMutators(instancetypeMutator(store), macPoolMutator({ store, dataDir: dir })),
  });
  const settle = async (r: ApiResponse): Promise<ApiResponse> => (isDeferred(r.body) ? settle(await r.body.deferred) : r);
  const call = async (method: string, url: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> => {
    const r = await settle(handler(apiRequest(method, url, { ...(body !== undefined ? { body } : {}), contentType, token: 't' })));
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return r;
  };
  return { dir, store, handler, call };
}

export const nsVmis = (ns: string) => `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances`;
export const name = (i: number) => `vmi-pxe-boot-${String(i).padStart(5, '0')}`;
export const ns = (i: number) => `bench-${i % 4}`;
const seed = parseYaml(readFileSync('/work/shared/seed-scenario/vmi-pxe-boot.yaml', 'utf8')) as Json;

/** The seed VMI as the i-th bench object: its own name, one of 4 namespaces, its own MAC. */
export function benchVmi(i: number): Json {
  const vmi = structuredClone(seed);
  vmi.apiVersion = 'kubevirt.io/v1';
  vmi.metadata = { name: name(i), namespace: ns(i), labels: { special: 'vmi-pxe-boot', bench: 'api' } };
  const mac = (i + 1).toString(16).padStart(6, '0').match(/../g)!.join(':');
  for (const iface of vmi.spec.domain.devices.interfaces) if (iface.macAddress) iface.macAddress = `de:00:00:${mac}`;
  delete vmi.status;
  return vmi;
}
