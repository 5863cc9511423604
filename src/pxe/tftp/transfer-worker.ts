// A worker thread running TFTP transfers for the server on the main thread (worker-pool.ts):
// each transfer gets its own socket here, reads the file through the descriptor the main
// thread opened (descriptors are the process's), and reports back in messages. Progress is
// sent at most every PROGRESS_MS per worker, not per packet.
import { read } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { encodeError, ERROR_CODES } from './codec.ts';
import { runTransferLoop, type Readable, type TransferLoop } from './transfer-loop.ts';
import { bindSocket, connectSocket } from './udp.ts';
import type { FromWorker, ToWorker } from './worker-messages.ts';

const PROGRESS_MS = 10;

const port = parentPort;
if (!port) throw new Error('transfer-worker.ts runs as a worker thread (expected parentPort, found none)');
const post = (message: FromWorker) => port.postMessage(message);
const running = new Map<number, TransferLoop>();
const progress = new Map<number, [number, number]>();
let flushing: NodeJS.Timeout | undefined;
const flush = () => {
  flushing = undefined;
  if (progress.size === 0) return;
  post({ type: 'progress', list: [...progress].map(([id, [bytes, heard]]) => [id, bytes, heard]) });
  progress.clear();
};

/** Reads through a descriptor the main thread holds open (and closes once told the transfer ended). */
const byDescriptor = (fd: number): Readable =>
  ({
    read: (buffer: Buffer, offset: number, length: number, position: number) =>
      new Promise((resolve, reject) => read(fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead, buffer })))),
  }) as unknown as Readable;

const byContent = (content: Buffer): Readable =>
  ({ read: async (buffer: Buffer, offset: number, length: number, position: number) => ({ bytesRead: content.copy(buffer, offset, position, position + length), buffer }) }) as unknown as Readable;

async function start(message: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { id } = message;
  const socket = await bindSocket(message.address, 0);
  try {
    await connectSocket(socket, message.peer);
  } catch (err) {
    socket.close();
    throw err;
  }
  const loop = runTransferLoop({
    socket,
    file: message.content ? byContent(Buffer.from(message.content)) : byDescriptor(message.fd ?? -1),
    size: message.size,
    requested: new Map(message.requested),
    limits: message.limits,
    now: Date.now,
    events: {
      oack: (accepted, state) => post({ type: 'oack', id, accepted: [...accepted], blksize: state.blksize, windowsize: state.windowsize }),
      progress: (bytes, heard) => {
        progress.set(id, [bytes, heard]);
        flushing ??= setTimeout(flush, PROGRESS_MS);
      },
      finished: (outcome, state) => {
        flush();
        post({ type: 'finished', id, outcome, blksize: state.blksize, windowsize: state.windowsize });
      },
      ended: (sent) => {
        running.delete(id);
        progress.delete(id);
        post({ type: 'ended', id, sent });
      },
      malformed: (err) => post({ type: 'malformed', id, err: err.message }),
      warn: (fields, text) => post({ type: 'warn', id, fields, message: text }),
    },
  });
  running.set(id, loop);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'start') {
    start(message).catch((err: unknown) => post({ type: 'failed', id: message.id, err: err instanceof Error ? err.message : String(err) }));
  } else if (message.type === 'end') {
    running.get(message.id)?.end(message.error === undefined ? undefined : encodeError(ERROR_CODES.notDefined, message.error));
  }
});
post({ type: 'ready' });
