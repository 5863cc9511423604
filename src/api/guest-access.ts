// What the API needs from the node to reach a running guest (its console, VNC and serial
// log). The API does not import the runtime: the daemon implements this from it.

/** A guest's files: unix sockets QEMU serves and the serial log QEMU writes. */
export interface GuestSockets {
  /** The serial console (one client at a time). */
  serialSocket: string;
  /** The VNC server (RFB). */
  vncSocket: string;
  /** Everything the guest wrote on its serial port. */
  serialLog: string;
}

/** KubeVirt's pause, unpause and softreboot, and a BMC's hard reset and NMI, as the node names them. */
export type GuestActionName = 'pause' | 'unpause' | 'softReboot' | 'reset' | 'nmi';

/** The node refuses an action for the guest's state; the message is KubeVirt's reason (e.g. "VMI is already paused"). */
export class GuestRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestRefusedError';
  }
}

/** Access to the guests of this node, by VMI uid. */
export interface GuestAccess {
  /** Where the guest's sockets and serial log are (they may not exist yet). */
  sockets(uid: string): GuestSockets;
  /** A PNG of the guest's screen now; rejects when the guest has no display or is not running. */
  screenshot(uid: string): Promise<Buffer>;
  /** Pauses, unpauses, soft-reboots, resets or sends an NMI to a running guest; rejects with GuestRefusedError when its state refuses. */
  act?(uid: string, action: GuestActionName): Promise<void>;
  /** Connections to the guests' ports (portforward); absent when the node cannot open them. */
  ports?: GuestPorts;
}

/** How the API asks for a connection to a guest's port (portforward). */
export interface GuestPortRequest {
  port: number;
  protocol: 'tcp' | 'udp';
  /** The binding of the VMI's pod network interface. */
  binding: 'masquerade' | 'bridge';
  /** bridge: the guest's address on the pod network (from the VMI's status). */
  guestAddress?: string;
}

/** One open connection to a guest's port; bytes both ways until either side ends it. */
export interface GuestConnection {
  write(bytes: Buffer): void;
  onData(listener: (bytes: Buffer) => void): void;
  /** Called once when the guest's side is gone; `error` is why, when it failed rather than ended. */
  onEnd(listener: (error?: string) => void): void;
  close(): void;
}

/** The node cannot open the connection (the guest's state or the node's limits); the message says why. */
export class GuestPortError extends Error {
  constructor(
    message: string,
    readonly unavailable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GuestPortError';
  }
}

/** Port-forward access: the local runtime implements it. */
export interface GuestPorts {
  /** Opens a connection to a port of a running guest; rejects with GuestPortError. */
  connect(uid: string, request: GuestPortRequest): Promise<GuestConnection>;
}
