/**
 * Lambda's per-invocation store for the local runner, which runs every function in one process, many invocations at
 * once (as Lambda's multi-concurrency runtime does): Powertools keeps each invocation's logger context and keys and
 * its metrics in it. See docs/design.md, "Local mode".
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';

/**
 * The runtime's per-invocation store in its multi-concurrency form (one AsyncLocalStorage context per invocation),
 * as the Lambda runtime installs it before it loads a handler. It is installed here rather than taken from
 * `InvokeStore.getInstanceAsync`, which hands out whichever store the process created first: the AWS SDK creates a
 * single-context one on its first request (in its CommonJS copy of the package), often before the runner starts.
 */
class LocalInvokeStore extends InvokeStoreBase {
  private readonly contexts = new AsyncLocalStorage<Record<string | symbol, unknown>>();
  public getContext() {
    return this.contexts.getStore();
  }
  public hasContext() {
    return this.contexts.getStore() !== undefined;
  }
  public get<T = unknown>(key: string | symbol): T | undefined {
    return this.contexts.getStore()?.[key] as T | undefined;
  }
  public set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const context = this.contexts.getStore();
    if (!context) throw new Error('No context available');
    context[key] = value;
  }
  public run<T>(context: Record<string | symbol, unknown>, fn: () => T): T {
    return this.contexts.run(context, fn);
  }
  /** Runs one invocation in a context of its own, with its request ID where the runtime keeps it. */
  public invocation<T>(requestId: string, fn: () => T): T {
    return this.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, fn);
  }
}

/**
 * Powertools keeps its state per invocation when AWS_LAMBDA_MAX_CONCURRENCY is set (only "set" matters to it). The
 * runner sets it while any of its stacks runs in the process (unless the environment already had it), so that code
 * of the process outside an invocation (a test's own) uses Powertools as a single-concurrency runtime would.
 */
export const startInvokeStore = (): { store: LocalInvokeStore; release: () => void } => {
  if (runningStacks++ === 0 && process.env.AWS_LAMBDA_MAX_CONCURRENCY === undefined) {
    process.env.AWS_LAMBDA_MAX_CONCURRENCY = String(LOCAL_MAX_CONCURRENCY);
    concurrencySetByRunner = true;
  }
  const lambdaGlobal = ((globalThis as { awslambda?: { InvokeStore?: unknown } }).awslambda ??= {});
  if (!(lambdaGlobal.InvokeStore instanceof LocalInvokeStore)) lambdaGlobal.InvokeStore = new LocalInvokeStore();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (--runningStacks === 0 && concurrencySetByRunner) {
      delete process.env.AWS_LAMBDA_MAX_CONCURRENCY;
      concurrencySetByRunner = false;
    }
  };
  return { store: lambdaGlobal.InvokeStore as LocalInvokeStore, release };
};
const LOCAL_MAX_CONCURRENCY = 64;
let runningStacks = 0;
let concurrencySetByRunner = false;
