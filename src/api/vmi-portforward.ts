// GET portforward/{port} and portforward/{port}/{protocol} on VirtualMachineInstances
// (subresources.kubevirt.io): a websocket (plain.kubevirt.io, binary frames) carrying one
// connection to a port of the guest, as virt-api serves it. Only the pod network is reached
// (masquerade or bridge binding), as in KubeVirt. A guest end that closes before it sent a
// single byte is reported in the close frame (1011): on masquerade that is what a port nothing
// listens on looks like, since slirp accepts first and asks the guest after.
import { ApiError, Reason, badRequest } from './errors.ts';
import { GuestPortError, type GuestAccess, type GuestPortRequest } from './guest-access.ts';
import type { ApiResponse, UpgradeBody } from './http-types.ts';
import type { StoredObject } from '../store/types.ts';

/** The websocket subprotocol (as console and vnc). */
const PLAIN_PROTOCOL = 'plain.kubevirt.io';
/** Close code when the guest's side failed or ended before sending anything. */
export const CLOSE_GUEST_ERROR = 1011;
/** Open port-forward connections per VMI, at most (each is a child process on the node). */
export const MAX_FORWARDS_PER_VMI = 32;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

/** Parses `{port}` and `{protocol}` of the path (protocol defaults to tcp, as KubeVirt's). */
export function parsePortForward(portText: string, protocolText: string | undefined): { port: number; protocol: 'tcp' | 'udp' } {
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw badRequest(`portforward: port must be an integer from 1 to 65535, found ${JSON.stringify(portText)}`);
  const protocol = (protocolText ?? 'tcp').toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp') throw badRequest(`portforward: protocol must be tcp or udp, found ${JSON.stringify(protocolText)}`);
  return { port, protocol };
}

/** Where the port is reached: the binding of the VMI's pod network interface, and for bridge the guest's address. */
export function portForwardTarget(vmi: StoredObject, port: number, protocol: 'tcp' | 'udp'): GuestPortRequest {
  const spec = obj(vmi.spec);
  const name = vmi.metadata.name;
  const podNetwork = list(spec.networks).find((n) => n.pod !== undefined);
  const iface = podNetwork ? list(obj(obj(spec.domain).devices).interfaces).find((i) => i.name === podNetwork.name) : undefined;
  if (!podNetwork || !iface) throw badRequest(`VMI ${name} has no pod network interface: port-forward reaches only spec.networks[].pod (found ${list(spec.networks).length} other networks)`);
  if (iface.masquerade !== undefined) return { port, protocol, binding: 'masquerade' };
  if (iface.bridge !== undefined) {
    const status = list(obj(vmi.status).interfaces).find((i) => i.name === iface.name);
    const address = typeof status?.ipAddress === 'string' && status.ipAddress !== '' ? status.ipAddress : undefined;
    if (!address) throw new ApiError(503, Reason.ServiceUnavailable, `VMI ${name}: no address is known for interface ${String(iface.name)} (status.interfaces[].ipAddress is empty), so its port ${port} cannot be reached`);
    return { port, protocol, binding: 'bridge', guestAddress: address };
  }
  const binding = Object.keys(iface).find((k) => !['name', 'model', 'macAddress', 'bootOrder', 'ports', 'pciAddress', 'tag', 'dhcpOptions'].includes(k)) ?? 'none';
  throw badRequest(`VMI ${name}: port-forward supports the masquerade and bridge bindings, found ${binding} on interface ${String(iface.name)}`);
}

/** Creates the portforward handler; it counts open connections per VMI. */
export function createPortForward(guests: GuestAccess | undefined) {
  const open = new Map<string, number>();
  const count = (uid: string, d: number) => {
    const n = (open.get(uid) ?? 0) + d;
    if (n <= 0) open.delete(uid);
    else open.set(uid, n);
  };
  return function portForward(vmi: StoredObject, request: GuestPortRequest): ApiResponse {
    const uid = vmi.metadata.uid;
    const name = vmi.metadata.name;
    const what = `port ${request.port}/${request.protocol} of VMI ${name}`;
    const body: UpgradeBody = {
      upgrade: {
        protocol: PLAIN_PROTOCOL,
        connect: async () => {
          const ports = guests?.ports;
          if (!ports) throw new ApiError(503, Reason.ServiceUnavailable, 'portforward is not available: this server runs no guests (started without controllers)');
          if ((open.get(uid) ?? 0) >= MAX_FORWARDS_PER_VMI) throw new ApiError(429, Reason.TooManyRequests, `VMI ${name} already has ${MAX_FORWARDS_PER_VMI} port-forward connections open (the most allowed)`);
          let conn;
          try {
            conn = await ports.connect(uid, request);
          } catch (err) {
            if (err instanceof GuestPortError) throw new ApiError(err.unavailable ? 503 : 400, err.unavailable ? Reason.ServiceUnavailable : Reason.BadRequest, `cannot reach ${what}: ${err.message}`, {}, { cause: err });
            throw err;
          }
          count(uid, 1);
          const connection = conn;
          let done = false;
          const finish = () => {
            if (done) return false;
            done = true;
            count(uid, -1);
            return true;
          };
          return {
            open: (channel) => {
              let received = 0;
              connection.onData((bytes) => {
                received += bytes.length;
                channel.send(bytes);
              });
              connection.onEnd((error) => {
                if (!finish()) return;
                if (error !== undefined) channel.close(CLOSE_GUEST_ERROR, `${what}: ${error}`);
                else if (received === 0 && request.protocol === 'tcp') channel.close(CLOSE_GUEST_ERROR, `${what} closed before sending a byte: is anything listening?`);
                else channel.close(1000, '');
              });
              channel.onMessage((bytes) => connection.write(bytes));
              channel.onClose(() => {
                if (finish()) connection.close();
              });
            },
            abort: () => {
              if (finish()) connection.close();
            },
          };
        },
      },
    };
    return { status: 101, headers: {}, body };
  };
}
