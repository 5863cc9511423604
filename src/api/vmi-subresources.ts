// GET console and vnc (websockets, subprotocol plain.kubevirt.io, raw bytes in binary
// frames), vnc/screenshot (PNG) and log (the serial log as text, pxevirt's own) on
// VirtualMachineInstances under subresources.kubevirt.io (and portforward, guestosinfo), with KubeVirt's checks: the VMI
// must be Running (400 "VMI is not running"), a finished one answers 409.
import { VMI_ACTIONS, vmiAction, vmiConflict, type VmiActionName } from './vmi-actions.ts';
import { createPortForward, parsePortForward, portForwardTarget } from './vmi-portforward.ts';
import type { LegacyResource } from './aggregated-discovery.ts';
import { open } from 'node:fs/promises';
import { ApiError, Reason, badRequest, notFound } from './errors.ts';
import type { GuestAccess } from './guest-access.ts';
import { GuestSessions, connectUnix } from './guest-stream.ts';
import type { ApiRequest, ApiResponse, UpgradeBody } from './http-types.ts';
import { SUBRESOURCES_GROUP, SUBRESOURCES_VERSIONS } from './vm-subresources.ts';
import { NotFoundError } from '../store/errors.ts';
import type { ObjectStore, StoredObject } from '../store/types.ts';
import { queryBool } from './query.ts';

export const VMI_SUBRESOURCES = ['console', 'vnc', 'vnc/screenshot', 'log', 'guestosinfo', 'portforward', ...VMI_ACTIONS] as const;
export type VmiSubresource = (typeof VMI_SUBRESOURCES)[number];
const isAction = (s: string): s is VmiActionName => (VMI_ACTIONS as readonly string[]).includes(s);

/** The websocket subprotocol of console and vnc. */
export const PLAIN_PROTOCOL = 'plain.kubevirt.io';
/** The most of the serial log one `log` request returns (its end). */
export const MAX_LOG_BYTES = 4 * 1024 * 1024;

export interface VmiSubresourceRoute {
  version: string;
  namespace: string;
  name: string;
  subresource: VmiSubresource;
  /** portforward/{port}[/{protocol}]: the path's words after `portforward`. */
  port?: string;
  protocol?: string;
}

const VMI = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };

/** Matches `/apis/subresources.kubevirt.io/{v}/namespaces/{ns}/virtualmachineinstances/{name}/{sub}`. */
export function matchVmiSubresource(path: string): VmiSubresourceRoute | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length < 8 || parts[0] !== 'apis' || parts[1] !== SUBRESOURCES_GROUP || parts[3] !== 'namespaces' || parts[5] !== 'virtualmachineinstances') return undefined;
  const version = parts[2] ?? '';
  if (!SUBRESOURCES_VERSIONS.includes(version)) return undefined;
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
  if (decoded[7] === 'portforward') {
    if (decoded.length !== 9 && decoded.length !== 10) return undefined;
    return { version, namespace: decoded[4] ?? '', name: decoded[6] ?? '', subresource: 'portforward', port: decoded[8] ?? '', ...(decoded[9] !== undefined ? { protocol: decoded[9] } : {}) };
  }
  const subresource = decoded.slice(7).join('/');
  if (subresource === 'portforward') return undefined;
  if (!(VMI_SUBRESOURCES as readonly string[]).includes(subresource)) return undefined;
  return { version, namespace: decoded[4] ?? '', name: decoded[6] ?? '', subresource: subresource as VmiSubresource };
}

/** The APIResourceList entries for the group's discovery document. */
export function vmiSubresourceResources(): LegacyResource[] {
  return VMI_SUBRESOURCES.map((s) => ({ name: `virtualmachineinstances/${s}`, singularName: '', namespaced: true, kind: '', verbs: [isAction(s) ? 'update' : 'get'] }));
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

function getVmi(store: ObjectStore, namespace: string, name: string): StoredObject {
  try {
    return store.get(VMI, namespace, name);
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound('kubevirt.io', 'virtualmachineinstances', name);
    throw err;
  }
}

/** KubeVirt's checks before a console or VNC connection (and a screenshot). */
export function checkRunning(vmi: StoredObject, kind: 'console' | 'vnc'): void {
  const devices = obj(obj(obj(vmi.spec).domain).devices);
  if (kind === 'console' && devices.autoattachSerialConsole === false) throw badRequest('No serial consoles are present.');
  if (kind === 'vnc' && devices.autoattachGraphicsDevice === false) throw badRequest('No graphics devices are present.');
  checkPhase(vmi);
}

/** KubeVirt's phase check before a connection: finished → 409, not yet running → 400. */
function checkPhase(vmi: StoredObject): void {
  const phase = obj(vmi.status).phase;
  const name = vmi.metadata.name;
  if (phase === 'Failed' || phase === 'Succeeded') {
    throw new ApiError(409, Reason.Conflict, `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "${name}": VMI is in ${String(phase).toLowerCase()} status`, {
      name,
      group: 'kubevirt.io',
      kind: 'virtualmachineinstance',
    });
  }
  if (phase !== 'Running') throw badRequest('VMI is not running');
}

/**
 * guestosinfo: what KubeVirt answers for a VMI without a connected guest agent (pxevirt runs
 * none): 409 "VMI is not running" first, then virt-api's 500 with the agent message.
 */
function guestOsInfo(vmi: StoredObject): never {
  const name = vmi.metadata.name;
  if (obj(vmi.status).phase !== 'Running') throw vmiConflict(name, 'VMI is not running');
  throw new ApiError(500, Reason.InternalError, `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "${name}": VMI does not have guest agent connected`, { name, group: 'kubevirt.io', kind: 'virtualmachineinstance' });
}

const unavailable = (what: string) => new ApiError(503, Reason.ServiceUnavailable, `${what} is not available: this server runs no guests (started without controllers)`);

/** Parses `?tail=N` (a non-negative integer). */
function tailOf(req: ApiRequest): number | undefined {
  const raw = req.query.get('tail');
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`tail must be a non-negative integer, found ${JSON.stringify(raw)}`);
  return n;
}

/** The end of a file (at most `max` bytes); empty when it does not exist. */
async function readEnd(path: string, max: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, max);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, size - length);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last `n` lines of a text (a trailing newline does not count as a line). */
export function lastLines(text: string, n: number): string {
  if (n === 0 || text === '') return '';
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  return lines.slice(-n).join('\n') + (trailing !== undefined ? '\n' : '');
}

/** The subresources over a store and (when the node runs guests) access to them. */
export function createVmiSubresources(options: { store: ObjectStore; guests?: GuestAccess }) {
  const sessions = new GuestSessions();
  const { store, guests } = options;
  const portForward = createPortForward(guests);

  const websocket = (req: ApiRequest, vmi: StoredObject, kind: 'console' | 'vnc'): ApiResponse => {
    const uid = vmi.metadata.uid;
    const name = vmi.metadata.name;
    const key = `${uid}/${kind}`;
    const preserve = queryBool(req.query, 'preserveSession');
    if (kind === 'vnc' && preserve && sessions.has(key)) {
      throw new ApiError(503, Reason.ServiceUnavailable, `VMI ${name} already has a VNC session and preserveSession=true keeps it`);
    }
    const body: UpgradeBody = {
      upgrade: {
        protocol: PLAIN_PROTOCOL,
        connect: async () => {
          if (!guests) throw unavailable(kind);
          const sockets = guests.sockets(uid);
          const path = kind === 'console' ? sockets.serialSocket : sockets.vncSocket;
          const takeover = `another ${kind} session for VMI ${name} took over`;
          // The serial socket serves one client: the old session must let go before QEMU accepts us.
          if (kind === 'console') sessions.close(key, takeover);
          let socket;
          try {
            socket = await connectUnix(path);
          } catch (err) {
            throw new ApiError(503, Reason.ServiceUnavailable, `cannot reach the ${kind} of VMI ${name}: ${(err as Error).message}`, {}, { cause: err });
          }
          const connected = socket;
          return {
            open: (channel) => sessions.join(key, connected, channel, takeover),
            abort: () => connected.destroy(),
          };
        },
      },
    };
    return { status: 101, headers: {}, body };
  };

  const screenshot = (vmi: StoredObject): ApiResponse => {
    if (!guests) throw unavailable('vnc/screenshot');
    const name = vmi.metadata.name;
    const deferred = guests.screenshot(vmi.metadata.uid).then(
      (png): ApiResponse => ({ status: 200, headers: { 'content-type': 'image/png' }, body: png }),
      (err: unknown) => {
        throw new ApiError(500, Reason.InternalError, `cannot take a screenshot of VMI ${name}: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
      },
    );
    return { status: 200, headers: {}, body: { deferred } };
  };

  const log = (req: ApiRequest, vmi: StoredObject): ApiResponse => {
    if (!guests) throw unavailable('log');
    const tail = tailOf(req);
    const path = guests.sockets(vmi.metadata.uid).serialLog;
    const deferred = readEnd(path, MAX_LOG_BYTES).then((bytes): ApiResponse => {
      const text = bytes.toString('utf8');
      return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: tail === undefined ? text : lastLines(text, tail) };
    });
    return { status: 200, headers: {}, body: { deferred } };
  };

  return {
    /** Answers one request to a VMI subresource. */
    handle(req: ApiRequest, route: VmiSubresourceRoute): ApiResponse {
      const sub = route.subresource;
      if (req.method !== (isAction(sub) ? 'PUT' : 'GET')) throw new ApiError(405, Reason.MethodNotAllowed, `the server does not allow this method on the requested resource: ${req.method} ${req.path}`);
      const vmi = getVmi(store, route.namespace, route.name);
      if (isAction(sub)) return vmiAction(req, vmi, sub, guests);
      switch (sub) {
        case 'console':
          checkRunning(vmi, 'console');
          return websocket(req, vmi, 'console');
        case 'vnc':
          checkRunning(vmi, 'vnc');
          return websocket(req, vmi, 'vnc');
        case 'vnc/screenshot':
          checkRunning(vmi, 'vnc');
          return screenshot(vmi);
        case 'log':
          return log(req, vmi);
        case 'guestosinfo':
          return guestOsInfo(vmi);
        case 'portforward': {
          const { port, protocol } = parsePortForward(route.port ?? '', route.protocol);
          checkPhase(vmi);
          return portForward(vmi, portForwardTarget(vmi, port, protocol));
        }
      }
    },
    /** Closes every open session (server shutdown). */
    closeAll(): void {
      sessions.closeAll('the server is shutting down');
    },
  };
}
