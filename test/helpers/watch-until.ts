// Runs a watching command (`kubectl get … -w`, `pxevirt get … -w`) and resolves with its output
// once `until` matches; `change` runs once the first row is printed. The process is killed (by
// pid) either way; no change within `timeoutMs` rejects with the output so far.
import { spawn } from 'node:child_process';

export interface WatchCommand {
  /** The program and its arguments, `-w` included. */
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Names the command in the timeout message, e.g. "kubectl get -w". */
  label: string;
  timeoutMs: number;
}

export function watchUntil(w: WatchCommand, change: () => Promise<unknown>, until: (out: string) => boolean): Promise<string> {
  return new Promise((done, fail) => {
    const p = spawn(w.command, w.args, { env: w.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let changed = false;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      fail(new Error(`${w.label} saw no change within ${w.timeoutMs / 1000} s; output:\n${out}`));
    }, w.timeoutMs);
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (!changed && out.split('\n').length > 2) {
        changed = true;
        change().catch(fail);
      }
      if (changed && until(out)) {
        clearTimeout(timer);
        p.kill('SIGTERM');
        done(out);
      }
    });
  });
}
