// Runs the external tools volumes are made with (qemu-img, xorriso), turning a failure
// into one error that names the command, how it ended and what it said.
import { execFile } from 'node:child_process';

/** Raised when a tool is missing or exits non-zero. */
export class VolumeToolError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${command} ${args.join(' ')} failed: ${detail}`, options);
    this.name = 'VolumeToolError';
  }
}

/** Runs `command args` and resolves with its stdout; rejects with VolumeToolError. */
export function runTool(command: string, args: readonly string[], options: { signal?: AbortSignal } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 << 20, ...(options.signal ? { signal: options.signal } : {}) }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { code?: unknown };
      const detail = e.code === 'ENOENT' ? `${command} is not installed` : `${typeof e.code === 'number' ? `exit code ${e.code}` : e.message}${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
      reject(new VolumeToolError(command, args, detail, { cause: err }));
    });
  });
}
