// Builds a directory in a staging copy and swaps it in whole, so a half-built output (web UI,
// CLI) is never served or run, even with builds running in parallel (tests).
import { mkdirSync, renameSync, rmSync } from 'node:fs';

/** Runs `fill(staging)`, then replaces `outDir` with it; the staging copy is removed on failure. */
export async function buildStaged<T>(outDir: string, fill: (staging: string) => Promise<T>): Promise<T> {
  const staging = `${outDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const result = await fill(staging);
    // Another build may land between the two calls (tests in parallel): then replace it again.
    for (let attempt = 0; ; attempt++) {
      rmSync(outDir, { recursive: true, force: true });
      try {
        renameSync(staging, outDir);
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    return result;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}
