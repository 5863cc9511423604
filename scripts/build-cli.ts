// Compiles the CLI and daemon (src, without tests and without the browser code) to JavaScript
// in dist/, one .js file per .ts file at the same relative path, so `new URL('../../x',
// import.meta.url)` finds the same files from dist/ as from src/. Nothing is bundled: each
// command's modules load only when it runs. Run by `make setup`; `bin/pxevirt` runs the result.
import { build, type Plugin } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const SRC = join(ROOT, 'src');
export const CLI_OUT_DIR = join(ROOT, 'dist');

/** Every module the CLI may load: src/**\/*.ts without tests and without src/web/client. */
export function cliSources(dir = SRC): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== join(SRC, 'web/client')) out.push(...cliSources(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** Keeps every import as an import (packages and relative files), with `.ts` written as `.js`. */
const allExternal: Plugin = {
  name: 'all-external',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      return { path: args.path.replace(/\.ts$/, '.js'), external: true };
    });
  },
};

/** Builds dist/ (replaced whole, so a half-built CLI is never run); returns the number of modules. */
export async function buildCli(outDir = CLI_OUT_DIR): Promise<number> {
  const entryPoints = cliSources();
  const staging = `${outDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    await build({
      absWorkingDir: ROOT,
      entryPoints,
      outbase: SRC,
      outdir: staging,
      bundle: true,
      plugins: [allExternal],
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
    });
    writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n');
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
  return entryPoints.length;
}

/** Whether dist/ is missing or older than some source file (then `bin/pxevirt` runs src via tsx). */
export function cliBuildStale(outDir = CLI_OUT_DIR): boolean {
  let built: number;
  try {
    built = statSync(join(outDir, 'package.json')).mtimeMs;
  } catch {
    return true;
  }
  return cliSources().some((path) => statSync(path).mtimeMs > built);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const modules = await buildCli();
  process.stdout.write(`built ${modules} modules into ${relative(ROOT, CLI_OUT_DIR)}/ in ${Math.round(performance.now() - started)} ms\n`);
}
