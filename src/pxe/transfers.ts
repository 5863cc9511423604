// Transfers in progress (TFTP and HTTP), for /status and the web UI's progress bars.

export interface TransferInfo {
  id: number;
  proto: 'tftp' | 'http';
  file: string;
  ip: string;
  mac?: string;
  /** Total size when known. */
  size?: number;
  bytes: number;
  startedAt: string;
}

/** A live transfer's handle: report progress, then end it exactly once. */
export interface TransferHandle {
  readonly info: TransferInfo;
  progress(bytes: number): void;
  end(): void;
}

/** Keeps the set of transfers in progress. */
export class Transfers {
  readonly #live = new Map<number, TransferInfo>();
  readonly #now: () => number;
  #next = 1;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Starts tracking a transfer. */
  start(init: Omit<TransferInfo, 'id' | 'bytes' | 'startedAt'>): TransferHandle {
    const info: TransferInfo = { ...init, id: this.#next++, bytes: 0, startedAt: new Date(this.#now()).toISOString() };
    this.#live.set(info.id, info);
    return {
      info,
      progress: (bytes) => {
        info.bytes = bytes;
      },
      end: () => {
        this.#live.delete(info.id);
      },
    };
  }

  /** Copies of the transfers in progress. */
  snapshot(): TransferInfo[] {
    return [...this.#live.values()].map((t) => ({ ...t }));
  }
}
