// Builds the web UI (src/web/client) into build/web: app.js (ES module, code-split so the
// console libraries and the YAML parser load only on the pages that need them), app.css
// (with xterm's CSS) and index.html. Run by `make setup`; the daemon serves the result.
import { build } from 'esbuild';
import { copyFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStaged } from './staged-dir.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const CLIENT = join(ROOT, 'src/web/client');

/** Where the daemon looks for the UI by default. */
export const WEB_OUT_DIR = join(ROOT, 'build/web');

/** Builds the UI into `outDir` (replaced whole, so a half-built UI is never served); returns file → bytes. */
export async function buildWeb(outDir = WEB_OUT_DIR): Promise<Record<string, number>> {
  await buildStaged(outDir, async (staging) => {
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
  });
  return Object.fromEntries(readdirSync(outDir).map((f) => [f, statSync(join(outDir, f)).size]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildWeb(process.argv[2] ? resolve(process.argv[2]) : WEB_OUT_DIR);
  const total = Object.values(files).reduce((a, b) => a + b, 0);
  process.stdout.write(`web UI built: ${Object.keys(files).length} files, ${Math.round(total / 1024)} KiB in ${WEB_OUT_DIR}\n`);
}
