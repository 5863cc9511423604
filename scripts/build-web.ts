// Builds the web UI (src/web/client) into build/web: app.js (ES module, code-split so the
// console libraries and the YAML parser load only on the pages that need them), app.css
// (with xterm's CSS) and index.html. Run by `make setup`; the daemon serves the result.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const CLIENT = join(ROOT, 'src/web/client');

/** Where the daemon looks for the UI by default. */
export const WEB_OUT_DIR = join(ROOT, 'build/web');

/** Builds the UI into `outDir` (replaced whole, so a half-built UI is never served); returns file → bytes. */
export async function buildWeb(outDir = WEB_OUT_DIR): Promise<Record<string, number>> {
  const staging = `${outDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    await build({
      absWorkingDir: ROOT,
      entryPoints: [
        { in: join(CLIENT, 'main.ts'), out: 'app' },
        { in: join(CLIENT, 'style.css'), out: 'app' },
      ],
      outdir: staging,
      bundle: true,
      splitting: true,
      format: 'esm',
      minify: true,
      target: ['chrome110', 'firefox115', 'safari16'],
      chunkNames: 'chunk-[hash]',
      legalComments: 'eof',
      logLevel: 'warning',
    });
    copyFileSync(join(CLIENT, 'index.html'), join(staging, 'index.html'));
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
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return Object.fromEntries(readdirSync(outDir).map((f) => [f, statSync(join(outDir, f)).size]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildWeb(process.argv[2] ? resolve(process.argv[2]) : WEB_OUT_DIR);
  const total = Object.values(files).reduce((a, b) => a + b, 0);
  process.stdout.write(`web UI built: ${Object.keys(files).length} files, ${Math.round(total / 1024)} KiB in ${WEB_OUT_DIR}\n`);
}
