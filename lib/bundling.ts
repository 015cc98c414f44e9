/**
 * How every function is bundled, defined once: ServiceFunction hands these options to `NodejsFunction` (the
 * deploy) and bench/cold.ts hands them to esbuild's `build()` through {@link esbuildOptions} (the cold-start
 * benchmark), so what is measured is what is deployed. Plain data, no aws-cdk-lib: the benchmark imports it
 * without loading the CDK.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** The repository root: handler entries, package-lock.json and tsconfig.json are relative to it. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The esbuild options of every function, in the vocabulary of `NodejsFunction`'s `bundling` props. */
export const BUNDLING = {
  /** ESM: top-level await and the ESM-only middy 6. */
  format: 'esm',
  /** The syntax of the Lambda runtime (Node.js 24); esbuild lowers nothing for it. */
  target: 'node24',
  /** Prefer the ESM builds of dependencies (better tree-shaking of the AWS SDK and Powertools). */
  mainFields: ['module', 'main'],
  /** Lets the bundled ESM code (and CommonJS dependencies inside it) call `require`. */
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
  minify: true,
  /** Readable stack traces (with NODE_OPTIONS=--enable-source-maps) without shipping the sources: a linked .map file. */
  sourceMap: true,
  sourcesContent: false,
  /** Error classes keep their names in logs even when minified. */
  keepNames: true,
  /** Nothing external, the AWS SDK v3 included: pinned to the lockfile's version and tree-shaken to what is used. */
  externalModules: [] as readonly string[],
  /** Relative to {@link PROJECT_ROOT}. */
  tsconfig: 'tsconfig.json',
} as const;

/**
 * {@link BUNDLING} as options of esbuild's `build()`, the way `NodejsFunction` runs esbuild locally
 * (`--bundle --platform=node`, a linked source map, the entry and output file given).
 */
export const esbuildOptions = (entry: string, outfile: string): BuildOptions => ({
  entryPoints: [entry],
  outfile,
  absWorkingDir: PROJECT_ROOT,
  bundle: true,
  platform: 'node',
  format: BUNDLING.format,
  target: BUNDLING.target,
  mainFields: [...BUNDLING.mainFields],
  banner: { js: BUNDLING.banner },
  minify: BUNDLING.minify,
  sourcemap: BUNDLING.sourceMap,
  sourcesContent: BUNDLING.sourcesContent,
  keepNames: BUNDLING.keepNames,
  external: [...BUNDLING.externalModules],
  tsconfig: join(PROJECT_ROOT, BUNDLING.tsconfig),
});
