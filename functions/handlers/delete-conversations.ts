import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { conversationIDSchema, deleteOneQuery, parseDeleteConversationsBody, parseOrThrow } from '#contracts/api-schemas.js';
import { parseOptionalHeader } from '#contracts/headers.js';
import { type DeleteConversationsInput, type DeletionDeps, deleteConversations, deletionIDFor } from '#domain/delete-conversations.js';
import { previewDeletion } from '#domain/preview-deletion.js';
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
  // The same key with another request is refused (409), never replayed.
  payloadValidationJmesPath: 'request',
  expiresAfterSeconds: 24 * 3600,
});

type IdempotentCall = { userID: string; idempotencyKey: string; request: DeleteConversationsInput };

const runOnce = makeIdempotent(async (call: IdempotentCall) => deleteConversations(deletionDeps, call.request), {
  persistenceStore: idempotency,
  config: idempotencyConfig,
});

/** A duplicate of a running request learns when its lock runs out (Powertools' error does not say). */
const deleteOnce = async (call: IdempotentCall) => {
  try {
    return await runOnce(call);
  } catch (error) {
    if (!(error instanceof IdempotencyAlreadyInProgressError)) throw error;
    const record = await idempotency.getRecord(call).catch(() => undefined);
    const expiresAt = record?.inProgressExpiryTimestamp ?? Date.now() + HTTP_TIMEOUT_SECONDS * 1000;
    throw new RequestInProgressError(error.message, Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000)), { cause: error });
  }
};

const run = async (event: HttpEvent, context: HttpContext, request: Omit<DeleteConversationsInput, 'userID' | 'originDeviceID'>) => {
  const input: DeleteConversationsInput = {
    ...request,
    userID: context.principal.userID,
    originDeviceID: parseOptionalHeader('X-Device-ID', headerOf(event, 'x-device-id')),
  };
  const idempotencyKey = parseOptionalHeader('Idempotency-Key', headerOf(event, 'idempotency-key'));
  idempotencyConfig.registerLambdaContext(context);
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
    withIdempotencyKey: idempotencyKey !== null,
  });
  return outcome;
};

/** A dry run answers from the same read and changes nothing, so it needs no Idempotency-Key handling. */
const preview = (context: HttpContext, request: Pick<DeleteConversationsInput, 'conversations' | 'clearHistoryMessage'>) =>
  previewDeletion(deps, { userID: context.principal.userID, ...request });

export const handler = httpHandler('delete-conversations', { errors: DELETION_ERRORS, guards: [rateLimit(rateLimiter)] })({
  'POST /v1/conversations/delete': async (event, context) => {
    const { form, dryRun, ...request } = parseDeleteConversationsBody(context.body);
    if (dryRun) return { data: presentPreview(form, await preview(context, request)) };
    return { data: presentDeletion(form, await run(event, context, request)) };
  },
  'DELETE /v1/conversations/{conversationID}': async (event, context) => {
    const conversation = parseOrThrow(conversationIDSchema, pathParameter(event, 'conversationID'), 'path.conversationID');
    const { clearHistoryMessage, dryRun } = parseOrThrow(deleteOneQuery, queryOf(event), 'query', 'INVALID_QUERY');
    const request = { conversations: [conversation], clearHistoryMessage };
    if (dryRun) return { data: presentPreview(deletionFormOf(event, context), await preview(context, request)) };
    return { data: presentDeletion(deletionFormOf(event, context), await run(event, context, request)) };
  },
});
