// A VmiRuntime in memory, for the controller's tests: guests "run" at once, and the test
// can make them power off or crash.
import type { GuestObservation, StartOptions, VmiObject, VmiRuntime } from '../runtime/types.ts';

export interface FakeRuntime extends VmiRuntime {
  /** Every call, in order, e.g. `start u1`, `stop u1 30`, `cleanup u1`. */
  calls: string[];
  guests: Map<string, GuestObservation>;
  /** The options of each guest's last start (configVolumes and the like). */
  startOptions: Map<string, StartOptions>;
  /** The guest powers itself off. */
  powerOff(uid: string): void;
  /** QEMU dies. */
  crash(uid: string, reason: string): void;
  /** Makes the next start fail with this message. */
  failNextStart(message: string): void;
}

/** Creates the fake; `adoptable` are guests "left running by a previous daemon". */
export function createFakeRuntime(options: { adoptable?: GuestObservation[]; softwareEmulation?: boolean; storeId?: string } = {}): FakeRuntime {
  const guests = new Map<string, GuestObservation>();
  const listeners = new Set<(o: GuestObservation) => void>();
  const calls: string[] = [];
  const startOptions = new Map<string, StartOptions>();
  let nextFailure: string | undefined;
  let pid = 1000;
  const change = (o: GuestObservation): void => {
    guests.set(o.uid, o);
    for (const l of listeners) l(o);
  };
  const exit = (uid: string, e: NonNullable<GuestObservation['exit']>): void => {
    const g = guests.get(uid);
    if (!g || g.state === 'exited') return;
    change({ ...g, state: 'exited', exit: e });
  };
  return {
    calls,
    guests,
    startOptions,
    async start(vmi: VmiObject, given?: StartOptions) {
      const uid = vmi.metadata.uid;
      calls.push(`start ${uid}`);
      startOptions.set(uid, given ?? {});
      await Promise.resolve();
      if (nextFailure !== undefined) {
        const message = nextFailure;
        nextFailure = undefined;
        throw new Error(message);
      }
      const obs: GuestObservation = {
        uid,
        netns: `pxv-${uid.slice(0, 8)}`,
        runDir: `/fake/run/vmi/${uid}`,
        pid: pid++,
        state: 'running',
        softwareEmulation: options.softwareEmulation ?? true,
        interfaces: [],
        startedAt: new Date().toISOString(),
        ...(options.storeId ? { storeId: options.storeId } : {}),
      };
      change(obs);
      return obs;
    },
    async stop(uid: string, graceSeconds: number) {
      calls.push(`stop ${uid} ${graceSeconds}`);
      await Promise.resolve();
      exit(uid, graceSeconds > 0 ? { kind: 'shutdown', reason: 'ACPI power-down' } : { kind: 'killed', reason: 'killed (grace period 0)', signal: 'SIGKILL' });
    },
    async act(uid, action) {
      calls.push(`${action} ${uid}`);
      await Promise.resolve();
      const g = guests.get(uid);
      if (!g || g.state !== 'running') throw new Error(`VMI ${uid}: ${action} needs a running guest; there is none`);
      if (action === 'pause') change({ ...g, paused: true });
      else if (action === 'unpause') change({ ...g, paused: false });
    },
    async cleanup(uid: string) {
      calls.push(`cleanup ${uid}`);
      guests.delete(uid);
    },
    observe: (uid) => guests.get(uid),
    async adopt() {
      calls.push('adopt');
      for (const g of options.adoptable ?? []) guests.set(g.uid, g);
      return [...(options.adoptable ?? [])];
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    paths: (uid) => {
      const runDir = `/fake/run/vmi/${uid}`;
      return { runDir, serialSocket: `${runDir}/serial.sock`, serialLog: `${runDir}/serial.log`, vncSocket: `${runDir}/vnc.sock`, qmpSocket: `${runDir}/qmp.sock` };
    },
    powerOff: (uid) => exit(uid, { kind: 'shutdown', reason: 'the guest powered off' }),
    crash: (uid, reason) => exit(uid, { kind: 'crashed', reason }),
    failNextStart: (message) => {
      nextFailure = message;
    },
  };
}
