import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { conversationIDSchema, deleteOneQuery, parseDeleteConversationsBody, parseOrThrow, restoreBody, userIDSchema } from '#contracts/api-schemas.js';
import { parseOptionalHeader } from '#contracts/headers.js';
import { type ClearHistoryInput, clearConversationHistory } from '#domain/clear-history.js';
import { type DeleteConversationsInput, type DeletionDeps, deleteConversations, deletionIDFor } from '#domain/delete-conversations.js';
import { previewDeletion } from '#domain/preview-deletion.js';
import { restoreDeletion } from '#domain/restore-deletion.js';
import { DELETION_ERRORS, deletionFormOf, presentDeletion, presentPreview } from '#middleware/deletion-presenter.js';
import { RequestInProgressError } from '#middleware/http-errors.js';
import { httpHandler, headerOf, pathParameter, queryOf } from '#middleware/http-handler.js';
import type { HttpContext, HttpEvent } from '#middleware/http-middlewares.js';
import { rateLimit } from '#middleware/rate-limit.js';
import { logger } from '#observability/logger.js';
import { METRIC, metrics, MetricUnit } from '#observability/metrics.js';
import { deleteConversationsFunction } from '#wiring/delete-conversations.js';
import { HTTP_TIMEOUT_SECONDS } from '#wiring/http.js';

const { idempotency, rateLimiter, ...deps } = deleteConversationsFunction.build();
const observedMetric = { raceRepaired: METRIC.raceRepairs, purgeDeferred: METRIC.purgesDeferred, purgedInline: METRIC.messagesPurged } as const;
const deletionDeps: DeletionDeps = {
  ...deps,
  observe: (name, count) => metrics.addMetric(observedMetric[name], MetricUnit.Count, count),
};

const idempotencyConfig = new IdempotencyConfig({
  // Keys are scoped to the user: another user's identical key is an unrelated request.
  eventKeyJmesPath: '[userID, idempotencyKey]',
  // The same key with another request (another route's included) is refused (409), never replayed.
  payloadValidationJmesPath: 'request',
  expiresAfterSeconds: 24 * 3600,
});

type IdempotentCall<I> = { userID: string; idempotencyKey: string; request: I };

/**
 * `operation` run at most once per Idempotency-Key: a repeat gets the first answer. A duplicate of a running request
 * learns when its lock runs out (Powertools' error does not say).
 */
const once = <I, O>(operation: (request: I) => Promise<O>) => {
  const runOnce = makeIdempotent(async (call: IdempotentCall<I>) => operation(call.request), { persistenceStore: idempotency, config: idempotencyConfig });
  return async (call: IdempotentCall<I>): Promise<O> => {
    try {
      return await runOnce(call);
    } catch (error) {
      if (!(error instanceof IdempotencyAlreadyInProgressError)) throw error;
      const record = await idempotency.getRecord(call as unknown as Parameters<typeof idempotency.getRecord>[0]).catch(() => undefined);
      const expiresAt = record?.inProgressExpiryTimestamp ?? Date.now() + HTTP_TIMEOUT_SECONDS * 1000;
      throw new RequestInProgressError(error.message, Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000)), { cause: error });
    }
  };
};

const deleteOnce = once((request: DeleteConversationsInput) => deleteConversations(deletionDeps, request));
const clearOnce = once((request: ClearHistoryInput) => clearConversationHistory(deps, request));
const restoreOnce = once((request: Parameters<typeof restoreDeletion>[1]) => restoreDeletion(deps, request));

/** The request's Idempotency-Key (null without one), with the Lambda context Powertools needs for its lock. */
const idempotencyKeyOf = (event: HttpEvent, context: HttpContext): string | null => {
  idempotencyConfig.registerLambdaContext(context);
  return parseOptionalHeader('Idempotency-Key', headerOf(event, 'idempotency-key'));
};
const deviceOf = (event: HttpEvent) => parseOptionalHeader('X-Device-ID', headerOf(event, 'x-device-id'));

const run = async (event: HttpEvent, context: HttpContext, input: DeleteConversationsInput) => {
  const idempotencyKey = idempotencyKeyOf(event, context);
  const outcome = idempotencyKey
    ? await deleteOnce({ userID: input.userID, idempotencyKey, request: { ...input, deletionID: deletionIDFor(input.userID, idempotencyKey) } })
    : await deleteConversations(deletionDeps, input);
  const counts = { deleted: 0, absent: 0, failed: 0 };
  for (const r of outcome.results) counts[r.status]++;
  metrics.addMetric(METRIC.conversationsDeleted, MetricUnit.Count, counts.deleted);
  metrics.addMetric(METRIC.conversationsAbsent, MetricUnit.Count, counts.absent);
  logger.info('conversations deleted', {
    deletionID: outcome.deletionID,
    userID: input.userID,
    ...counts,
    clearHistoryMessage: input.clearHistoryMessage,
    historyPurge: outcome.historyPurge,
    ...(input.actor ? { actedBy: input.actor.actedBy } : {}),
    withIdempotencyKey: idempotencyKey !== null,
  });
  return outcome;
};

/** A dry run answers from the same read and changes nothing, so it needs no Idempotency-Key handling. */
const preview = (userID: string, request: Pick<DeleteConversationsInput, 'conversations' | 'clearHistoryMessage'>) => previewDeletion(deps, { userID, ...request });

/** `POST /v1/conversations/delete`, for the caller or (admin route) for the user in the path. */
const deleteFromBody = async (event: HttpEvent, context: HttpContext, forUser?: string) => {
  const { form, dryRun, ...request } = parseDeleteConversationsBody(context.body);
  const userID = forUser ?? context.principal.userID;
  if (dryRun) return { data: presentPreview(form, await preview(userID, request)) };
  const input: DeleteConversationsInput = forUser
    ? // The admin's own devices are not the user's: every device of the user hears of it.
      { ...request, userID, originDeviceID: null, actor: { actedBy: context.principal.userID, actedAs: 'admin' } }
    : { ...request, userID, originDeviceID: deviceOf(event) };
  return { data: presentDeletion(form, await run(event, context, input)) };
};

export const handler = httpHandler('delete-conversations', { errors: DELETION_ERRORS, guards: [rateLimit(rateLimiter)] })({
  'POST /v1/conversations/delete': (event, context) => deleteFromBody(event, context),
  'DELETE /v1/conversations/{conversationID}': async (event, context) => {
    const conversation = parseOrThrow(conversationIDSchema, pathParameter(event, 'conversationID'), 'path.conversationID');
    const { clearHistoryMessage, dryRun } = parseOrThrow(deleteOneQuery, queryOf(event), 'query', 'INVALID_QUERY');
    const request = { conversations: [conversation], clearHistoryMessage };
    if (dryRun) return { data: presentPreview(deletionFormOf(event, context), await preview(context.principal.userID, request)) };
    const input = { ...request, userID: context.principal.userID, originDeviceID: deviceOf(event) };
    return { data: presentDeletion(deletionFormOf(event, context), await run(event, context, input)) };
  },
  'POST /v1/conversations/{conversationID}/clear-history': async (event, context) => {
    const conversation = parseOrThrow(conversationIDSchema, pathParameter(event, 'conversationID'), 'path.conversationID');
    const userID = context.principal.userID;
    const input: ClearHistoryInput = { userID, conversation, originDeviceID: deviceOf(event) };
    const idempotencyKey = idempotencyKeyOf(event, context);
    const outcome = idempotencyKey
      ? await clearOnce({ userID, idempotencyKey, request: { ...input, deletionID: deletionIDFor(userID, idempotencyKey) } })
      : await clearConversationHistory(deps, input);
    logger.info('history cleared', { ...outcome, userID });
    return { data: outcome };
  },
  'POST /v1/conversations/restore': async (event, context) => {
    const { deletionID } = parseOrThrow(restoreBody, context.body, 'body');
    const userID = context.principal.userID;
    const input = { userID, deletionID, originDeviceID: deviceOf(event) };
    const idempotencyKey = idempotencyKeyOf(event, context);
    const outcome = idempotencyKey
      ? await restoreOnce({ userID, idempotencyKey, request: { ...input, idempotencyKey } })
      : await restoreDeletion(deps, input);
    logger.info('deletion restored', { deletionID, restoreID: outcome.restoreID, userID, restored: outcome.conversationIDList.length });
    return { data: outcome };
  },
  'POST /v1/admin/users/{userID}/conversations/delete': (event, context) =>
    deleteFromBody(event, context, parseOrThrow(userIDSchema, pathParameter(event, 'userID'), 'path.userID')),
});
