// The runtime's contract with the controllers: a VMI's pod (network namespace + run dir)
// and its QEMU, started detached so the daemon can restart without killing guests.
import type { Vmi } from '../resources/device-plan.ts';

/** What the runtime needs to start a guest: the VMI parsed by parseVmi (typed spec); the runtime plans it with planVmi. */
export type VmiObject = Vmi;

/** Facts about a running (or finished) guest, as observed. */
export interface GuestObservation {
  uid: string;
  /** The pod's network namespace name, e.g. `pxv-<uid8>`. */
  netns: string;
  /** `<data-dir>/run/vmi/<uid>/`: qmp.sock, serial.sock, serial.log, vnc.sock, qemu.pid, disks. */
  runDir: string;
  pid: number;
  state: 'starting' | 'running' | 'exited';
  /** Running with its vCPUs stopped (pause): the Paused condition. */
  paused?: boolean;
  /** true when running under TCG (no usable KVM): the SoftwareEmulation condition. */
  softwareEmulation: boolean;
  /** When exited: how. `shutdown` = the guest powered off (→ Succeeded); `crashed` = QEMU died (→ Failed). */
  exit?: { kind: 'shutdown' | 'crashed' | 'killed'; reason: string; code?: number | null; signal?: string | null };
  /** Guest interfaces as known to the runtime (name = the VMI network name). */
  interfaces: Array<{ name: string; mac: string; interfaceName?: string; ipAddress?: string; ipAddresses?: string[]; podInterfaceName?: string; infoSource?: string }>;
  /** Annotations the VMI should carry (k8s.v1.cni.cncf.io/network-status). */
  annotations?: Record<string, string>;
  startedAt: string;
  /** The store the guest was started from (absent for guests started before stores were recorded). */
  storeId?: string;
}

export interface PullProgress {
  image: string;
  /** Bytes received so far and the total when known. */
  bytes: number;
  total?: number;
  done: boolean;
}

/** The files of a configMap/secret volume: one per key, its bytes decoded (Secret values included). */
export type ConfigVolumeFiles = ReadonlyArray<{ key: string; data: Uint8Array }>;

export interface StartOptions {
  signal?: AbortSignal;
  /** Image pull progress (containerDisk), for events and the CLI's progress bar. */
  onProgress?: (p: PullProgress) => void;
  /**
   * The files of each configMap/secret volume (by volume name), read from the store by the
   * controller, so the runtime never reads the store. Never logged.
   */
  configVolumes?: ReadonlyMap<string, ConfigVolumeFiles>;
}

/** What a user may ask of a running guest besides stop: KubeVirt's pause, unpause and softreboot; a BMC's hard reset and NMI. */
export type GuestAction = 'pause' | 'unpause' | 'softReboot' | 'reset' | 'nmi';

/** The runtime the VMI controller acts through. */
export interface VmiRuntime {
  /**
   * Prepares the pod (netns, run dir, volumes: containerDisk pull + overlay, cloud-init ISO,
   * emptyDisk) and starts QEMU detached. Throws a named error with the reason on failure.
   */
  start(vmi: VmiObject, options?: StartOptions): Promise<GuestObservation>;
  /** ACPI power-down, then kill after graceSeconds (0 kills at once). Resolves when QEMU is gone. */
  stop(uid: string, graceSeconds: number): Promise<void>;
  /**
   * Pauses, unpauses or soft-reboots a running guest; the change shows in observe()/onChange.
   * Throws when there is no running guest, or when its state refuses the action.
   */
  act(uid: string, action: GuestAction): Promise<void>;
  /** Removes everything the VMI had on the node (netns, run dir, overlays). Idempotent. */
  cleanup(uid: string, identity?: { namespace: string; name: string }): Promise<void>;
  /** Current observation of a guest, or undefined when the runtime knows nothing of it. */
  observe(uid: string): GuestObservation | undefined;
  /** Re-adopts guests left running by a previous daemon (from their run dirs and pidfiles). */
  adopt(): Promise<GuestObservation[]>;
  /** Called on every state change (start, exit) so the controller can reconcile. */
  onChange(listener: (obs: GuestObservation) => void): () => void;
  /** The serial log path and sockets of a guest, for the console/VNC subresources later. */
  paths(uid: string): { runDir: string; serialSocket: string; serialLog: string; vncSocket: string; qmpSocket: string };
}
