/**
 * Every Lambda function of the service: its handler is `functions/handlers/<name>.ts` (exports `handler`) and its
 * declaration (adapters, hence grants and environment) `functions/wiring/<name>.ts`.
 * HTTP functions get their routes from routes.ts; event functions are the targets of the rules named here.
 * The CDK stack creates one NodejsFunction per entry; the local runner loads the same files.
 */
import { type RULE_PATTERNS } from './events.js';
import { HTTP_FUNCTIONS, WEBSOCKET_FUNCTIONS } from './routes.js';
import { PURGE_SWEEP } from './table.js';

export const EVENT_TARGETS = [
  { rule: 'purgeHistory', function: 'purge-history' },
  { rule: 'pushDeletion', function: 'push-deletion' },
] as const satisfies readonly {
  rule: keyof typeof RULE_PATTERNS;
  function: string;
}[];

/** Functions run on a schedule (an EventBridge schedule rule in the cloud, a timer in the local runner). */
export const SCHEDULED_FUNCTIONS = [
  // Re-drives every purge its own event did not finish (functions/domain/sweep-purges.ts).
  { function: 'sweep-purges', everySeconds: PURGE_SWEEP.everySeconds },
] as const;

export const FUNCTION_NAMES = [...HTTP_FUNCTIONS, ...WEBSOCKET_FUNCTIONS, ...EVENT_TARGETS.map((t) => t.function), ...SCHEDULED_FUNCTIONS.map((s) => s.function)] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export const handlerEntry = (name: FunctionName): string => `functions/handlers/${name}.ts`;
