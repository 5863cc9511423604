// Connections to a port inside a guest, for KubeVirt's portforward subresource. Node cannot
// enter another network namespace, so each connection is a `socat STDIO` child run in the
// right one (`ip netns exec`), its stdin/stdout the byte stream.
// masquerade (slirp): the guest is reachable only through slirp, so a loopback forward
// 127.0.0.1:PORT → the guest's PORT is added to the running QEMU (HMP `hostfwd_add`) the first
// time a port is asked for, and socat connects to it inside the pod's netns. Every port can be
// forwarded this way, as KubeVirt forwards every port on masquerade.
// bridge: the guest owns its address on the pod network; socat connects to it from the node
// network's namespace (where the node bridge routes to it).
import { spawn as nodeSpawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export type PortProtocol = 'tcp' | 'udp';

/** Where a guest's port is reached from. */
export type GuestPortRoute =
  | { binding: 'masquerade'; podNetns: string }
  | { binding: 'bridge'; guestAddress: string; nodeNetns?: string };

/** A forward could not be set up in QEMU (HMP's answer kept). */
export class HostForwardError extends Error {
  constructor(
    readonly rule: string,
    readonly answer: string,
  ) {
    super(`QEMU refused the forward ${rule}: ${answer.trim() || '(no answer)'}`);
    this.name = 'HostForwardError';
  }
}

/** The guest's slirp netdev id from HMP `info network` (the line with type=user), if any. */
export function userNetdevId(infoNetwork: string): string | undefined {
  for (const line of infoNetwork.split(/\r?\n/)) {
    const m = /^[\s\\]*([A-Za-z0-9_.-]+): index=\d+,type=user\b/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** The HMP rule that forwards 127.0.0.1:port in the pod to the masquerade guest's port (no guest address: slirp's dhcpstart, the guest's 10.0.2.2). */
export const loopbackForwardRule = (protocol: PortProtocol, port: number): string => `${protocol}:127.0.0.1:${port}-:${port}`;

/** The argv that opens one connection (pure, for tests and logs). */
export function guestPortArgv(route: GuestPortRoute, protocol: PortProtocol, port: number): string[] {
  const host = route.binding === 'masquerade' ? '127.0.0.1' : route.guestAddress;
  // socat's default -t 0.5: once the guest has ended, what we still send has half a second.
  const socat = ['socat', 'STDIO', `${protocol.toUpperCase()}:${host.includes(':') ? `[${host}]` : host}:${port}`];
  const netns = route.binding === 'masquerade' ? route.podNetns : route.nodeNetns;
  return netns === undefined ? socat : ['ip', 'netns', 'exec', netns, ...socat];
}

/**
 * The command that lets QEMU (running as an unprivileged user) bind ports below 1024 in the
 * pod's netns, so a forward to the guest's port 22 can be added while it runs. The sysctl is
 * per network namespace: only this pod's changes, and nothing but QEMU binds there.
 */
export const allowLowPortsArgv = (podNetns: string): string[] => ['ip', 'netns', 'exec', podNetns, 'sysctl', '-q', '-w', 'net.ipv4.ip_unprivileged_port_start=0'];

/** HMP through QMP (`human-monitor-command`) on one guest. */
export type Hmp = (commandLine: string) => Promise<string>;

/** How many (guest, protocol, port) forwards the cache remembers; the oldest is forgotten past it (asking again is harmless). */
export const MAX_REMEMBERED_FORWARDS = 4096;

/** Adds the loopback forward for (protocol, port) once per guest; later calls reuse it. */
export function createForwardCache() {
  const added = new Map<string, Promise<void>>();
  return {
    /** Makes sure 127.0.0.1:port in the pod forwards to the guest's port. */
    ensure(uid: string, hmp: Hmp, protocol: PortProtocol, port: number): Promise<void> {
      const key = `${uid}/${protocol}/${port}`;
      let p = added.get(key);
      if (!p) {
        p = (async () => {
          const netdev = userNetdevId(await hmp('info network'));
          if (netdev === undefined) throw new HostForwardError(loopbackForwardRule(protocol, port), 'the guest has no masquerade (user) network');
          const rule = loopbackForwardRule(protocol, port);
          const answer = await hmp(`hostfwd_add ${netdev} ${rule}`);
          // A daemon restarted since the rule was added gets "could not set up": the rule is there.
          if (answer.trim() !== '' && !/could not set up host forwarding rule/i.test(answer)) throw new HostForwardError(rule, answer);
        })();
        added.set(key, p);
        if (added.size > MAX_REMEMBERED_FORWARDS) added.delete(added.keys().next().value as string);
        p.catch(() => added.delete(key));
      }
      return p;
    },
    /** Forgets a guest (it stopped: a new QEMU has no forwards). */
    forget(uid: string): void {
      for (const key of [...added.keys()]) if (key.startsWith(`${uid}/`)) added.delete(key);
    },
  };
}

export type GuestPortProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/** Starts the child that carries one connection; its stdout is the guest's bytes, its stdin goes to the guest. */
export function openGuestPort(route: GuestPortRoute, protocol: PortProtocol, port: number, spawn: typeof nodeSpawn = nodeSpawn): GuestPortProcess {
  const [command, ...args] = guestPortArgv(route, protocol, port);
  return spawn(command ?? 'socat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
}
