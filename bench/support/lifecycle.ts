/**
 * Every exit path of a benchmark stops what it started (the local stack, the DynamoDB Local JVM): normal end,
 * error, Ctrl-C, kill. Register cleanups with `onStop`; they run newest first, each bounded in time.
 */
const cleanups: (() => Promise<void>)[] = [];
let stopping: Promise<void> | undefined;

export const progress = (line: string) => process.stderr.write(`${line}\n`);

/** True once stopping has begun (a signal or an error), so a failure caused by it is not reported as the cause. */
export const isStopping = (): boolean => stopping !== undefined;

export const onStop = (cleanup: () => Promise<void>) => {
  cleanups.push(cleanup);
};

export const stopAll = (): Promise<void> =>
  (stopping ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      await Promise.race([cleanup().catch((error: unknown) => progress(`cleanup failed: ${String(error)}`)), new Promise((r) => setTimeout(r, 15_000))]);
    }
  })());

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.once(signal, () => {
    progress(`\n${signal}: stopping the local stack and DynamoDB Local...`);
    void stopAll().finally(() => process.exit(code));
  });
}
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.once(event, (error: unknown) => {
    progress(`${event}: ${(error as Error)?.stack ?? String(error)}`);
    void stopAll().finally(() => process.exit(1));
  });
}
