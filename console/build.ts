/**
 * Builds the console page with esbuild: console/src/main.ts (and the client SDK's source it imports) into an ES
 * module, the chunks it imports on demand, and one stylesheet, beside the static index.html. The local runner builds
 * it in memory on the first request (console/serve.ts), so `npm start` and the tests always serve the current source;
 * the stack writes it at synth (lib/console-hosting.ts); `tsx console/build.ts <dir>` writes the same files anywhere.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, buildSync, type OutputFile } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

export type ConsoleFile = { contentType: string; body: Uint8Array };
/** The files by their path on the site: `index.html`, `console/console.js`, `console/console.css`, `console/chunk-*.js`. */
export type ConsoleFiles = Map<string, ConsoleFile>;

/** The esbuild options of the page's bundle. */
const OPTIONS = {
  absWorkingDir: here,
  entryPoints: { console: 'src/main.ts' },
  bundle: true,
  write: false,
  format: 'esm',
  // Browsers of the last few years; the SDK's own target.
  target: 'es2022',
  minify: true,
  // The page's code is small and public: a source map would only double what the browser downloads.
  sourcemap: false,
  outdir: 'out',
  // The sign-in library is needed only in the cloud: main.ts imports it on demand, so it is a chunk of its own
  // that the local page never downloads.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  logLevel: 'silent',
  legalComments: 'none',
} satisfies BuildOptions;

const filesOf = (outputFiles: OutputFile[]): ConsoleFiles => {
  const files: ConsoleFiles = new Map([['index.html', { contentType: 'text/html; charset=utf-8', body: readFileSync(join(here, 'src/index.html')) }]]);
  for (const file of outputFiles) {
    const name = basename(file.path);
    files.set(`console/${name}`, { contentType: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', body: file.contents });
  }
  return files;
};

export const buildConsole = async (): Promise<ConsoleFiles> => filesOf((await build(OPTIONS)).outputFiles);

/** The same files written to a folder, synchronously (a CDK app is built synchronously: lib/console-hosting.ts). */
export const writeConsole = (outdir: string): string => {
  for (const [path, file] of filesOf(buildSync(OPTIONS).outputFiles)) {
    mkdirSync(dirname(join(outdir, path)), { recursive: true });
    writeFileSync(join(outdir, path), file.body);
  }
  return outdir;
};

/** Where `npm run build:console` writes by default: under cdk.out/, which git ignores. */
export const CONSOLE_BUILD_DIR = join(here, '..', 'cdk.out', 'console-site');

/** `tsx console/build.ts [outdir]`: the page's files for static hosting (the cloud stack adds console/config.json). */
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`console built into ${writeConsole(process.argv[2] ?? CONSOLE_BUILD_DIR)}`);
}
