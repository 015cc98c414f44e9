/**
 * The answers of the two delete routes, 200 and 503 alike, shaped in one place: `data.conversationID` when the
 * caller named one conversation (the reference SDK's string form, or `DELETE /v1/conversations/{id}`),
 * `data.conversationIDList` when it sent the object form; then the per-conversation results, the state of the
 * history purge and the time of the deletion. Plus the delete function's own error mappings.
 */
import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { type DeletionForm, deletionFormOfBody } from '#contracts/api-schemas.js';
import type { HttpRouteKey } from '#contracts/routes.js';
import type { DeleteConversationsOutcome } from '#domain/delete-conversations.js';
import type { DeletionPreview } from '#domain/preview-deletion.js';
import { DeletionIncompleteError } from '#domain/errors.js';
import { type ErrorMapping, mapError, RequestInProgressError } from './http-errors.js';
import type { HttpContext, HttpEvent } from './http-middlewares.js';

export const presentDeletion = (form: DeletionForm, outcome: DeleteConversationsOutcome) => {
  const { results, historyPurge, deletedAt, deletionID, restorableUntil } = outcome;
  // The single form names what was asked, even when it failed; the list form lists what is now gone.
  const named = form === 'single' ? { conversationID: results[0]!.conversationID } : { conversationIDList: outcome.conversationIDList };
  return { ...named, results, historyPurge, deletedAt, deletionID, restorableUntil };
};

/** A dry run's answer, in the same two forms, marked `dryRun` so it cannot be mistaken for a deletion. */
export const presentPreview = (form: DeletionForm, preview: DeletionPreview) => {
  const named = form === 'single' ? { conversationID: preview.results[0]!.conversationID } : { conversationIDList: preview.conversationIDList };
  return { dryRun: true as const, ...named, results: preview.results, messagesToPurge: preview.messagesToPurge };
};

/** The route that names one conversation in its path. */
const DELETE_ONE: HttpRouteKey<'delete-conversations'> = 'DELETE /v1/conversations/{conversationID}';

/** Which form the request used, read from the request itself (the error mapping has nothing else). */
export const deletionFormOf = (event: HttpEvent, context: Pick<HttpContext, 'body'>): DeletionForm =>
  event.routeKey === DELETE_ONE ? 'single' : deletionFormOfBody(context.body);

/** Errors only the delete function meets. */
export const DELETION_ERRORS: readonly ErrorMapping[] = [
  mapError(DeletionIncompleteError, (error, { event, context }) => ({
    code: 'PARTIAL_FAILURE',
    details: { data: presentDeletion(deletionFormOf(event, context), error.outcome) },
  })),
  mapError(IdempotencyValidationError, () => ({
    code: 'IDEMPOTENCY_KEY_REUSED',
    message: 'this Idempotency-Key was used with a different request: use a new key for a new request',
  })),
  mapError(RequestInProgressError, (error) => ({
    code: 'IDEMPOTENCY_IN_PROGRESS',
    message: `a request with this Idempotency-Key is still running: retry in ${error.retryAfterSeconds} s (Retry-After) for its answer`,
    headers: { 'retry-after': String(error.retryAfterSeconds) },
  })),
  // Should the lock's expiry be unknown (see the delete handler), the running invocation ends within the timeout.
  mapError(IdempotencyAlreadyInProgressError, () => ({
    code: 'IDEMPOTENCY_IN_PROGRESS',
    message: 'a request with this Idempotency-Key is still running: retry after it finishes',
  })),
];
