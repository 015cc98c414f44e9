/**
 * The one wiring rule: a function declares the adapters it builds (and, of each, the methods it uses); what it is
 * granted in IAM and the environment it is given are derived from that declaration, and its composition root
 * builds exactly those adapters. Each adapter states, next to its code, the AWS actions each of its methods
 * performs on which resource and the environment variables it reads.
 *
 * The CDK stack reads the declarations (functions/wiring/index.ts); a handler imports only its own declaration,
 * so its bundle holds only its own adapters.
 */
import type { EnvName } from '#contracts/environment.js';
import type { FunctionName } from '#contracts/functions.js';

/** The resources a function can be granted; the CDK stack maps each to a single ARN (no wildcard but a connection ID). */
export type AwsResource =
  /** The service table. */
  | 'table'
  /** The service table's conversations-by-time local secondary index. */
  | 'conversationIndex'
  /** The service table's pending-purges global secondary index. */
  | 'pendingPurgesIndex'
  /** Powertools' idempotency table. */
  | 'idempotencyTable'
  /** The service's event bus. */
  | 'eventBus'
  /** `POST @connections/{id}` of the WebSocket API's stage. */
  | 'webSocketConnections';

export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';
export type AwsAction = DynamoAction | 'events:PutEvents' | 'execute-api:ManageConnections';

/** What some code may do: actions per resource. */
export type Access = { readonly [R in AwsResource]?: readonly AwsAction[] };

/** An adapter as a function builds it: what it does in AWS, what it reads from the environment, how to build it. */
export interface Adapter<T> {
  readonly access: Access;
  readonly env: readonly EnvName[];
  /** The methods a function may call (all of the port's unless narrowed with `use`); none for a plain value. */
  readonly methods?: readonly string[];
  build(): T;
}

/** An adapter that offers methods; `use(...)` narrows it (type and grants) to the methods a function calls. */
export interface AdapterDefinition<T> extends Adapter<T> {
  use<M extends keyof T>(...methods: M[]): Adapter<Pick<T, M>>;
}

/** Merges access lists, each action listed once, in a stable order. */
export const mergeAccess = (...lists: readonly Access[]): Access => {
  const merged: { [R in AwsResource]?: AwsAction[] } = {};
  for (const access of lists) {
    for (const [resource, actions] of Object.entries(access) as [AwsResource, readonly AwsAction[]][]) {
      merged[resource] = [...new Set([...(merged[resource] ?? []), ...actions])].sort();
    }
  }
  return merged;
};

/**
 * An adapter with methods: `methods` names every method of the port with the access it needs (empty when it
 * makes no AWS call), so a method cannot be added without saying what it is allowed to do.
 */
export const defineAdapter = <T extends object>(definition: {
  methods: { readonly [M in keyof T]-?: Access };
  env: readonly EnvName[];
  build: () => T;
}): AdapterDefinition<T> => {
  const all = Object.keys(definition.methods) as (keyof T)[];
  const narrowed = <M extends keyof T>(methods: readonly M[]): Adapter<Pick<T, M>> => ({
    access: mergeAccess(...methods.map((m) => definition.methods[m])),
    env: definition.env,
    methods: methods.map(String),
    build: definition.build,
  });
  return { ...narrowed(all), use: (...methods) => narrowed(methods) };
};

/** Something a function builds that makes no AWS call (a clock, a verifier, a setting). */
export const defineValue = <T>(definition: { env: readonly EnvName[]; build: () => T }): Adapter<T> => ({ access: {}, ...definition });

/** How a function is deployed; everything else about it follows from its adapters. */
export type FunctionSettings = {
  readonly name: FunctionName;
  /** What it serves, for the Lambda console and the docs. */
  readonly description: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  /** Environment read outside any adapter (for example by the HTTP middleware that reads the user ID claim). */
  readonly env?: readonly EnvName[];
  /** Gets the reserved concurrency configured at deploy time (context `purgeConcurrency`): it re-triggers itself. */
  readonly guardConcurrency?: boolean;
};

export type FunctionDeclaration<D> = FunctionSettings & {
  readonly adapters: { readonly [K in keyof D]: Adapter<D[K]> };
  /** The union of its adapters' access: exactly what the stack grants it. */
  readonly access: Access;
  /** Every environment variable it reads: exactly what the stack sets (those that have a value there). */
  readonly environment: readonly EnvName[];
  /** Builds each adapter once (once per execution environment when called at module load). */
  build(): D;
};

export const defineFunction = <D>(settings: FunctionSettings & { adapters: { readonly [K in keyof D]: Adapter<D[K]> } }): FunctionDeclaration<D> => {
  const adapters = Object.values(settings.adapters) as Adapter<unknown>[];
  return {
    ...settings,
    access: mergeAccess(...adapters.map((a) => a.access)),
    environment: [...new Set([...(settings.env ?? []), ...adapters.flatMap((a) => a.env)])].sort(),
    build: () => Object.fromEntries(Object.entries(settings.adapters).map(([key, adapter]) => [key, (adapter as Adapter<unknown>).build()])) as D,
  };
};

export type DepsOf<F> = F extends FunctionDeclaration<infer D> ? D : never;
