// The Redfish handler over a test store, for the unit tests: a VM with an EFI firmware and a bridge
// NIC, a request helper, a recording MediaStore and the deferred-reply unwrapper.
import type { TestContext } from 'node:test';
import { openTestStore } from '../store/test-fixture.ts';
import { isDeferred, type ApiRequest, type ApiResponse } from '../api/http-types.ts';
import type { ObjectStore } from '../store/types.ts';
import { createRedfishHandler, VM_KEY } from './service.ts';
import { MediaFetchError, type MediaStore } from './virtual-media.ts';

export const TOKEN = 'api-token';
export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const ADMIN = basic('admin', TOKEN);

/** A halted VM; `firmware` replaces its EFI firmware (e.g. {} for BIOS). */
export function vm(store: ObjectStore, name: string, annotations: Record<string, string> = {}, firmware: Record<string, unknown> = { bootloader: { efi: {} } }) {
  return store.create(VM_KEY, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: { memory: { guest: '512Mi' }, firmware, devices: { disks: [{ name: 'root', disk: {}, bootOrder: 1 }], interfaces: [{ name: 'pxe', bridge: {}, macAddress: '02:00:00:AA:00:01' }] } },
          networks: [{ name: 'pxe', multus: { networkName: 'pxe-net' } }],
        },
      },
    },
  });
}

export function setup(t: TestContext, extra: { media?: MediaStore; now?: () => number } = {}) {
  const { store } = openTestStore(t);
  const events: string[] = [];
  const handler = createRedfishHandler({ store, adminPassword: TOKEN, uuid: 'svc-uuid', event: (_vm, reason, message) => events.push(`${reason}: ${message}`), ...extra });
  const call = (method: string, path: string, o: { auth?: string; token?: string; body?: unknown; from?: string; prefer?: string } = {}): ApiResponse =>
    handler({
      method,
      path,
      query: new URLSearchParams(),
      headers: { ...(o.auth ? { authorization: o.auth } : {}), ...(o.token ? { 'x-auth-token': o.token } : {}), ...(o.prefer ? { prefer: o.prefer } : {}), 'content-type': 'application/json' },
      ...(o.body !== undefined ? { body: Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body)) } : {}),
      signal: new AbortController().signal,
      ...(o.from ? { remoteAddress: o.from } : {}),
    } satisfies ApiRequest);
  return { store, call, events };
}

export const body = (r: ApiResponse) => r.body as Record<string, any>;
export const messageId = (r: ApiResponse): string => body(r).error?.['@Message.ExtendedInfo']?.[0]?.MessageId;

/** A MediaStore that records what it was asked and fails for URLs containing "missing" or "text". */
export function fakeMedia(): MediaStore & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    insert: async (uid, url) => {
      calls.push(`insert ${uid} ${url}`);
      if (url.includes('missing')) throw new MediaFetchError('unreachable', url, `cannot reach ${url}`);
      if (url.includes('text')) throw new MediaFetchError('format', url, `${url} is not an ISO`);
      return { bytes: 2048 };
    },
    eject: async (uid) => void calls.push(`eject ${uid}`),
  };
}

export const settle = async (r: ApiResponse): Promise<ApiResponse> => (isDeferred(r.body) ? r.body.deferred : r);
