/**
 * What can go wrong in the use cases, one class per concept. Each says what happened and how to fix it; the HTTP
 * edge (functions/middleware/http-errors.ts) maps each class to its status and stable code, once.
 */
import type { DeleteConversationsOutcome } from './delete-conversations.js';

export class GroupNotFoundError extends Error {
  public constructor(
    public readonly groupID: string,
    options?: { cause?: unknown },
  ) {
    super(`group ${JSON.stringify(groupID)} does not exist: create it with POST /v1/groups`, options);
    this.name = 'GroupNotFoundError';
  }
}

export class GroupExistsError extends Error {
  public constructor(
    public readonly groupID: string,
    options?: { cause?: unknown },
  ) {
    super(`group ${JSON.stringify(groupID)} already exists: choose another groupID`, options);
    this.name = 'GroupExistsError';
  }
}

export class GroupTooLargeError extends Error {
  public constructor(
    public readonly members: number,
    public readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super(`a group holds at most ${limit} members including you; this one would have ${members}`, options);
    this.name = 'GroupTooLargeError';
  }
}

export class NotGroupMemberError extends Error {
  public constructor(
    public readonly groupID: string,
    options?: { cause?: unknown },
  ) {
    super(`you are not a member of group ${JSON.stringify(groupID)}: only members can send to it`, options);
    this.name = 'NotGroupMemberError';
  }
}

export class CannotMessageSelfError extends Error {
  public constructor(
    public readonly conversationID: string,
    options?: { cause?: unknown },
  ) {
    super(`${conversationID} is your own user ID: send to another user's C2C<userID>`, options);
    this.name = 'CannotMessageSelfError';
  }
}

/** A cursor that this service did not hand out (forged, mangled, or from another list). */
export class InvalidCursorError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidCursorError';
  }
}

/**
 * Some conversations could not be deleted after every retry. The outcome says which are gone and which failed;
 * nothing is claimed for the failed ones, and repeating the same request finishes the job.
 */
export class DeletionIncompleteError extends Error {
  public constructor(
    public readonly outcome: DeleteConversationsOutcome,
    options?: { cause?: unknown },
  ) {
    const failed = outcome.results.filter((r) => r.status === 'failed').length;
    super(
      `${failed} of ${outcome.results.length} conversation(s) could not be deleted after retries; nothing else is affected. Repeat the same request to finish.`,
      options,
    );
    this.name = 'DeletionIncompleteError';
  }
}

/** The conversation is not in the caller's list (never had it, or deleted it): there is no history of it to clear. */
export class ConversationNotFoundError extends Error {
  public constructor(
    public readonly conversationID: string,
    options?: { cause?: unknown },
  ) {
    super(`${conversationID} is not in your conversation list: GET /v1/conversations lists the ones you have`, options);
    this.name = 'ConversationNotFoundError';
  }
}

/**
 * A catch-up cursor older than the deletion records' retention: deletions made since may already be gone, so reading on
 * from it could silently miss some. The device must reload its conversation list and start again without a cursor.
 */
export class CursorExpiredError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CursorExpiredError';
  }
}

/** No deletion of the caller's has this ID (another user's deletions are not found either). */
export class DeletionNotFoundError extends Error {
  public constructor(
    public readonly deletionID: string,
    options?: { cause?: unknown },
  ) {
    super(`you have no deletion ${deletionID}: pass the deletionID of one of your own deletion's answers (kept 35 days)`, options);
    this.name = 'DeletionNotFoundError';
  }
}

/** The deletion was already undone; nothing was changed this time. */
export class AlreadyRestoredError extends Error {
  public constructor(
    public readonly deletionID: string,
    /** null: a retry of the change found it undone on a conversation, which does not keep when. */
    public readonly restoredAt: string | null,
    options?: { cause?: unknown },
  ) {
    super(
      restoredAt
        ? `deletion ${deletionID} was already restored at ${restoredAt}; nothing was changed`
        : `deletion ${deletionID} was restored (undone) since this request was first made; a retry does not make it again, and nothing was changed. Send a new request (a new Idempotency-Key) to make the change again`,
      options,
    );
    this.name = 'AlreadyRestoredError';
  }
}

/** The deletion's grace period is over (or undo was off when it was made): its history may be gone for good. */
export class RestoreExpiredError extends Error {
  public constructor(
    public readonly deletionID: string,
    public readonly restorableUntil: string | null,
    options?: { cause?: unknown },
  ) {
    super(
      restorableUntil
        ? `deletion ${deletionID} could be restored until ${restorableUntil}; that time has passed and nothing was changed`
        : `deletion ${deletionID} was made while undo was off (deletionGracePeriodSeconds 0); it cannot be restored`,
      options,
    );
    this.name = 'RestoreExpiredError';
  }
}
