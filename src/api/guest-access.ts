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

/** Access to the guests of this node, by VMI uid. */
export interface GuestAccess {
  /** Where the guest's sockets and serial log are (they may not exist yet). */
  sockets(uid: string): GuestSockets;
  /** A PNG of the guest's screen now; rejects when the guest has no display or is not running. */
  screenshot(uid: string): Promise<Buffer>;
}
