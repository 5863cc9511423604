// Compiles the CLI and daemon (src/cli/main.ts and everything it imports, without the browser
// code) to JavaScript in dist/cli/: esbuild bundles with code splitting, so each command's code
// is a chunk loaded by its dynamic import() only when that command runs. Every module of src
// sits two levels below the root and so do the chunks, so `new URL('../../x', import.meta.url)`
// finds the same files from dist/cli/ as from src/. commander and yaml (loaded by every command)
// are bundled; other packages (native addons, worker-thread loggers) stay imports. The kubectl-
// and virtctl-like verbs are built a second time into one CommonJS file (src/cli/kube-main.ts).
// Run by `make setup`; `bin/pxevirt` runs the result.
import { build, type Metafile, type Plugin } from 'esbuild';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStaged } from './staged-dir.ts';

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

/** The kube verbs' single-file entry in dist/cli/ (bin/pxevirt loads it first). */
export const KUBE_ENTRY = 'kube.cjs';

/** The source files bundled into kube.cjs, one path (relative to the root) a line. */
export const KUBE_INPUTS = 'kube.inputs';

/** Packages loaded by every command are bundled (one file instead of dozens); the rest stay imports. */
const BUNDLED = new Set(['commander', 'yaml']);

function externalPackages(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => !BUNDLED.has(name)).flatMap((name) => [name, `${name}/*`]);
}

/**
 * Built-ins that the kube verbs' start-up would load for nothing: commander requires
 * child_process (for executable subcommands, which pxevirt has none of; it also loads dgram), and
 * `node:fs/promises` (manifests) loads readline. Each costs ~11 M instructions of module
 * compilation at every `pxevirt get` (docs/benchmarks.md). In kube.cjs such an import is a module
 * of stand-ins, one per function the built-in exports (read from this Node at build time), that
 * load the real module on their first call. Anything else imported from it is a build error.
 */
export const LAZY_BUILTINS = ['child_process', 'fs/promises'];

export function lazyBuiltinSource(name: string, builtin: Record<string, unknown>): string {
  const functions = Object.keys(builtin).filter((key) => /^[a-z]\w*$/.test(key) && typeof builtin[key] === 'function');
  return [`let real;`, `const load = () => (real ??= require('node:${name}'));`, ...functions.map((key) => `export function ${key}(...args) { return load().${key}(...args); }`)].join('\n');
}

const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|').replace('/', '\\/')})$`);
    b.onResolve({ filter }, (args) => (args.namespace === 'lazy-builtin' ? undefined : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => ({ contents: lazyBuiltinSource(args.path, (await import(`node:${args.path}`)) as Record<string, unknown>), loader: 'js' }));
  },
};

/** Builds dist/ (replaced whole, so a half-built CLI is never run); returns the number of chunks and esbuild's metafile (paths relative to the root). */
export async function buildCli(outDir = CLI_OUT_DIR): Promise<{ chunks: number; metafile: Metafile }> {
  const metafile = await buildStaged(outDir, async (staging) => {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: [{ in: join(SRC, 'cli/main.ts'), out: 'main' }],
      outdir: join(staging, 'cli'),
      bundle: true,
      splitting: true,
      external: externalPackages(),
      // Bundled CommonJS (commander) calls require() for node: built-ins.
      banner: { js: "import { createRequire as __pxevirtRequire } from 'node:module'; const require = __pxevirtRequire(import.meta.url);" },
      chunkNames: '[name]-[hash]',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
      metafile: true,
    });
    // The kube verbs' fast entry: one CommonJS file, no chunks (src/cli/kube-main.ts says why).
    const kube = await build({
      absWorkingDir: ROOT,
      entryPoints: [join(SRC, 'cli/kube-main.ts')],
      outfile: join(staging, 'cli', KUBE_ENTRY),
      bundle: true,
      external: externalPackages(),
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
      // import.meta has no meaning in CommonJS: a module on this path that uses it is a build error.
      logOverride: { 'empty-import-meta': 'error' },
      plugins: [lazyBuiltins],
      // Every run reads, decodes and hashes this file before its code cache applies: without
      // whitespace it is ~30% smaller. Names stay (stack traces, constructor names).
      minifyWhitespace: true,
      minifySyntax: true,
      metafile: true,
    });
    // bin/pxevirt decides whether kube.cjs is current from the sources bundled into it alone.
    writeFileSync(join(staging, 'cli', KUBE_INPUTS), `${Object.keys(kube.metafile.inputs).filter((i) => i.startsWith('src/')).sort().join('\n')}\n`);
    writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n');
    return { inputs: { ...result.metafile.inputs, ...kube.metafile.inputs }, outputs: { ...result.metafile.outputs, ...kube.metafile.outputs } };
  });
  return { chunks: readdirSync(join(outDir, 'cli')).filter((name) => name.endsWith('.js')).length, metafile };
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
  const { chunks: modules } = await buildCli();
  process.stdout.write(`built ${modules} chunks into ${relative(ROOT, CLI_OUT_DIR)}/ in ${Math.round(performance.now() - started)} ms\n`);
}
