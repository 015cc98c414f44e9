import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConversationRef } from '#contracts/ids.js';
import { ENV, optionalSecondsEnv, requireEnv } from '#contracts/environment.js';
import {
  CONVERSATIONS_BY_TIME_INDEX,
  DELETION_RECORD_RETENTION_DAYS,
  PENDING_PURGES_INDEX,
  PURGE_SWEEP,
  RESTORE_WRITE_MARGIN_SECONDS,
  TIMELINE_SEQUENCE,
  TTL_ATTRIBUTE,
  keys,
  pendingPurgeShard,
  purgeDueAt,
  seqKey,
} from '#contracts/table.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '#observability/metrics.js';
import { METRIC } from '#observability/names.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import type { ConversationRestore, ConversationState, DeletionRecord, DeletionRepository, HistoryClearWrite, Tombstone, TombstoneWrite } from '#domain/ports/deletions.js';
import { batchGet, keyString } from './batch-reader.js';
import type { BatchWriteOptions } from './batch-writer.js';
import { writtenIf } from './conditional.js';
import { isThrottling, retryPartial } from '../retry.js';
import { PARTIAL_RETRY } from '../retry-policy.js';
import { queryAll } from './query-all.js';
import { type ConversationItem, conversationFields, isLive, LIVE_ATTRIBUTES, setClause, tombstoneFields, toMessage, UNDO_SAVED, type UndoSaved, undoCopy } from './conversation-items.js';

/** What a deletion needs of a conversation item and its timeline counter: not the last message, not the counts. */
const STATE_ATTRIBUTES = [
  CONVERSATIONS_BY_TIME_INDEX.sortKey,
  'clearSeq',
  'deletedSeq',
  'purgedSeq',
  'lastDeletionID',
  undoCopy(CONVERSATIONS_BY_TIME_INDEX.sortKey),
  'restorableUntil',
  'lastRestoredDeletionID',
  TIMELINE_SEQUENCE,
];

export type DeletionRepositoryOptions = Pick<BatchWriteOptions, 'backoff' | 'onRetry'> & {
  /** How long the purge a deletion asks for has before the sweeper re-drives it. @default PURGE_SWEEP.handoffSeconds */
  purgeHandoffSeconds?: number;
};

/** Conditional rounds of one tombstone write; each failed round means another deletion raised a point meanwhile. */
const MAX_MERGE_ROUNDS = 8;

export class DynamoDeletionRepository implements DeletionRepository {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DeletionRepositoryOptions = {},
  ) {}

  public async readStates(userID: string, refs: ConversationRef[]): Promise<Map<string, ConversationState>> {
    const conversationKeys = refs.map((r) => keys.conversation(userID, r.conversationID));
    const timelineKeys = refs.map((r) => keys.timeline(userID, r));
    const found = await batchGet(this.client, this.tableName, [...conversationKeys, ...timelineKeys], STATE_ATTRIBUTES);
    return new Map(
      refs.map((ref, i) => {
        const item = found.get(keyString(conversationKeys[i]!)) as ConversationItem | undefined;
        const timeline = found.get(keyString(timelineKeys[i]!));
        return [
          ref.conversationID,
          {
            live: isLive(item),
            clearSeq: item?.clearSeq ?? 0,
            deletedSeq: item?.deletedSeq ?? 0,
            purgedSeq: item?.purgedSeq ?? 0,
            timelineSeq: (timeline?.[TIMELINE_SEQUENCE] as number | undefined) ?? 0,
            lastDeletionID: item?.lastDeletionID ?? null,
            // The saved sort key is null when the change found no live conversation; absent when nothing was saved.
            liveBeforeLastChange: item && undoCopy(CONVERSATIONS_BY_TIME_INDEX.sortKey) in item ? item[undoCopy(CONVERSATIONS_BY_TIME_INDEX.sortKey)] !== null : null,
            restorableUntil: item?.restorableUntil ?? null,
            lastRestoredDeletionID: item?.lastRestoredDeletionID ?? null,
          },
        ];
      }),
    );
  }

  public async readTimelineSequences(userID: string, refs: ConversationRef[]): Promise<Map<string, number>> {
    const timelineKeys = refs.map((r) => keys.timeline(userID, r));
    const found = await batchGet(this.client, this.tableName, timelineKeys, [TIMELINE_SEQUENCE]);
    return new Map(refs.map((ref, i) => [ref.conversationID, (found.get(keyString(timelineKeys[i]!))?.[TIMELINE_SEQUENCE] as number | undefined) ?? 0]));
  }

  public async writeTombstones(userID: string, tombstones: Tombstone[], deadline: number): Promise<Map<string, TombstoneWrite>> {
    const outcomes = new Map<string, TombstoneWrite>();
    const policy = PARTIAL_RETRY.batchWrite;
    const backoff = { ...policy.backoff, ...this.options.backoff };
    let lastThrottle = 'throttled';
    const retried = await retryPartial(tombstones, {
      // Each round writes every pending tombstone in parallel; what stays throttled after the SDK's retries goes again.
      attempt: async (pending) => {
        const throttled: Tombstone[] = [];
        await Promise.all(
          pending.map(async (t) => {
            try {
              outcomes.set(t.conversationID, await this.writeTombstone(userID, t));
            } catch (error) {
              if (!isThrottling(error)) {
                outcomes.set(t.conversationID, { status: 'failed', reason: `${(error as Error).name}: ${(error as Error).message}` });
                return;
              }
              lastThrottle = (error as Error).name;
              throttled.push(t);
            }
          }),
        );
        return throttled;
      },
      stop: { deadline, maxAttempts: policy.maxAttempts },
      backoff,
      ...(this.options.onRetry ? { onRetry: (pending: readonly Tombstone[]) => this.options.onRetry!(pending.length) } : {}),
    });
    const reason = `${lastThrottle}; gave up ${retried.stop === 'deadline' ? 'at the deadline' : `after ${retried.attempts} attempts`}`;
    for (const t of retried.remaining) outcomes.set(t.conversationID, { status: 'failed', reason });
    return outcomes;
  }

  /**
   * One conditional write: the tombstone replaces the item only if it moves neither point back. If another deletion
   * stored a higher point meanwhile, the write is repeated with the higher of each (what the two asked together),
   * so concurrent deletions converge on the union of what they deleted and cleared, whatever their order.
   */
  private async writeTombstone(userID: string, tombstone: Tombstone): Promise<TombstoneWrite> {
    const outcome = await this.writeChange(userID, tombstone, 'delete');
    return outcome.status === 'absent' ? { status: 'failed', reason: 'unreachable: a deletion does not need the conversation' } : outcome;
  }

  public async clearHistory(userID: string, change: Tombstone): Promise<HistoryClearWrite> {
    const outcome = await this.writeChange(userID, change, 'clear');
    if (outcome.status === 'failed') throw new Error(outcome.reason);
    return outcome.status === 'written' ? { status: 'written', clearSeq: outcome.clearSeq } : outcome;
  }

  /**
   * The conditional write of a deletion (`delete`: a tombstone replaces the conversation) or of a cleared history
   * (`clear`: the conversation stays, without its last message). Points only move forward; an undoable change saves
   * what it replaces (UNDO_SAVED) unless the item already holds this very change's save (a repeat of the request).
   */
  private async writeChange(userID: string, change: Tombstone, mode: 'delete' | 'clear'): Promise<TombstoneWrite | { status: 'absent' }> {
    let { clearSeq, deletedSeq } = change;
    let saveUndo = change.restorableUntil !== undefined;
    // A clear removes the last message only while no newer message than the clear has replaced it.
    let removePreview = true;
    for (let round = 0; round < MAX_MERGE_ROUNDS; round++) {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ':clearSeq': clearSeq, ':deletedSeq': deletedSeq };
      const name = (attribute: string) => {
        const placeholder = `#a${Object.keys(names).length}`;
        names[placeholder] = attribute;
        return placeholder;
      };
      const sets: string[] = [];
      const removes: string[] = [];
      const set = (attribute: string, value: unknown) => {
        const placeholder = `:v${sets.length}`;
        values[placeholder] = value;
        sets.push(`${name(attribute)} = ${placeholder}`);
      };
      if (mode === 'delete') {
        for (const [attribute, value] of Object.entries(tombstoneFields({ ...change, clearSeq, deletedSeq }))) set(attribute, value);
        for (const attribute of LIVE_ATTRIBUTES) removes.push(name(attribute));
      } else {
        set('clearSeq', clearSeq);
        if (removePreview) {
          removes.push(name('lastMessage'));
          set('unreadCount', 0);
        }
      }
      set('lastDeletionID', change.deletionID);
      if (change.restorableUntil) set('restorableUntil', change.restorableUntil);
      else removes.push(name('restorableUntil'), ...UNDO_SAVED.map((a) => name(undoCopy(a))));
      if (saveUndo) {
        values[':none'] = null;
        for (const attribute of UNDO_SAVED) sets.push(`${name(undoCopy(attribute))} = if_not_exists(${name(attribute)}, :none)`);
      }
      if (change.purgeOwedTo) {
        // The latest clear owed: copies it covers may land until some time after it (PURGE_SWEEP.stragglerSeconds).
        set(PENDING_PURGES_INDEX.partitionKey, pendingPurgeShard(userID));
        set('purgeDeletionID', change.purgeOwedTo);
        set('purgeClearedAt', change.deletedAt);
        const handoff = purgeDueAt(Date.parse(change.deletedAt), this.options.purgeHandoffSeconds ?? PURGE_SWEEP.handoffSeconds);
        if (change.restorableUntil) {
          // Undoable: nothing may be purged before the grace period ends, an earlier clear's purge included.
          values[':due'] = purgeDueAt(Date.parse(change.restorableUntil), RESTORE_WRITE_MARGIN_SECONDS);
          sets.push(`${name(PENDING_PURGES_INDEX.sortKey)} = :due`);
        } else {
          // An earlier pending purge keeps its due time: the sweeper's bound counts from the first clear owed.
          values[':due'] = handoff;
          const due = name(PENDING_PURGES_INDEX.sortKey);
          sets.push(`${due} = if_not_exists(${due}, :due)`);
        }
      }
      // A change a restore has undone here is never done again (a retry of its request after the restore).
      values[':me'] = change.deletionID;
      const conditions = [
        '(attribute_not_exists(clearSeq) OR clearSeq <= :clearSeq)',
        '(attribute_not_exists(deletedSeq) OR deletedSeq <= :deletedSeq)',
        '(attribute_not_exists(lastRestoredDeletionID) OR lastRestoredDeletionID <> :me)',
      ];
      // The first write of this change saves what it replaces; a repeat must not save the change itself.
      if (saveUndo) conditions.push('(attribute_not_exists(lastDeletionID) OR lastDeletionID <> :me)');
      if (mode === 'clear') {
        conditions.push(`attribute_exists(${name(CONVERSATIONS_BY_TIME_INDEX.sortKey)})`);
        if (removePreview) conditions.push('(attribute_not_exists(lastSeq) OR lastSeq <= :clearSeq)');
      }
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.conversation(userID, change.conversationID),
            UpdateExpression: `SET ${sets.join(', ')}` + (removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''),
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { status: 'written', clearSeq, deletedSeq };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const stored = (error.Item ? unmarshall(error.Item) : {}) as ConversationItem;
        if (stored.lastRestoredDeletionID === change.deletionID) return { status: 'restored' };
        if (mode === 'clear' && !isLive(stored)) return { status: 'absent' };
        if (stored.lastDeletionID === change.deletionID) saveUndo = false;
        if ((stored.lastSeq ?? 0) > clearSeq) removePreview = false;
        clearSeq = Math.max(clearSeq, stored.clearSeq ?? 0);
        deletedSeq = Math.max(deletedSeq, stored.deletedSeq ?? 0);
      }
    }
    return { status: 'failed', reason: `the conversation kept changing under ${MAX_MERGE_ROUNDS} concurrent deletions; repeat the request` };
  }

  public async restoreConversation(userID: string, conversationID: string, deletionID: string, now: string): Promise<ConversationRestore> {
    const key = keys.conversation(userID, conversationID);
    for (let round = 0; round < MAX_MERGE_ROUNDS; round++) {
      const item = (await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))).Item as ConversationItem | undefined;
      if (!item || item.lastDeletionID !== deletionID) return item?.lastRestoredDeletionID === deletionID ? 'restored' : 'superseded';
      if (!item.restorableUntil || item.restorableUntil <= now) return 'expired';
      const saved = (attribute: UndoSaved): unknown => item[undoCopy(attribute)] ?? null;
      // Put back what the change replaced, except what came later: a message since the change keeps its conversation
      // (and its preview); the history before the change becomes visible again below it.
      const putBack = new Set<UndoSaved>(['clearSeq', 'deletedSeq', 'purgeShard', 'purgeDueAt', 'purgeDeletionID', 'purgeClearedAt']);
      if (item.tombstone) for (const attribute of [...LIVE_ATTRIBUTES, 'tombstone', 'deletedAt'] as const) putBack.add(attribute);
      else if ((item.lastSeq ?? 0) === ((saved('lastSeq') as number | null) ?? 0)) for (const attribute of ['lastMessage', 'unreadCount'] as const) putBack.add(attribute);
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ':me': deletionID, ':now': now };
      const sets: string[] = ['#restored = :me'];
      const removes: string[] = [];
      names['#restored'] = 'lastRestoredDeletionID';
      [...putBack].forEach((attribute, i) => {
        names[`#p${i}`] = attribute;
        const value = saved(attribute);
        if (value === null) removes.push(`#p${i}`);
        else {
          values[`:p${i}`] = value;
          sets.push(`#p${i} = :p${i}`);
        }
      });
      UNDO_SAVED.forEach((attribute, i) => {
        names[`#u${i}`] = undoCopy(attribute);
        removes.push(`#u${i}`);
      });
      // No earlier change can be undone on this conversation any more: its saved copies were replaced by this one's.
      names['#last'] = 'lastDeletionID';
      names['#until'] = 'restorableUntil';
      removes.push('#last', '#until');
      // Exactly the item read: any change since (a message, another deletion) and the restore is worked out again.
      const unchanged = (attribute: string, value: unknown, placeholder: string) => {
        names[placeholder] = attribute;
        if (value === undefined) return `attribute_not_exists(${placeholder})`;
        values[`:${placeholder.slice(1)}`] = value;
        return `${placeholder} = :${placeholder.slice(1)}`;
      };
      const condition = [
        'lastDeletionID = :me',
        'restorableUntil > :now',
        unchanged('clearSeq', item.clearSeq, '#c1'),
        unchanged('deletedSeq', item.deletedSeq, '#c2'),
        unchanged('lastSeq', item.lastSeq, '#c3'),
        unchanged('tombstone', item.tombstone, '#c4'),
      ].join(' AND ');
      const restored = await writtenIf(
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      if (restored) return 'restored';
    }
    return 'superseded';
  }

  public async restoreRacedConversation(userID: string, ref: ConversationRef, deletedSeq: number): Promise<boolean> {
    const messages = (
      await queryAll(this.client, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, ref.conversationID), ':after': seqKey(deletedSeq) },
        ScanIndexForward: false,
        ConsistentRead: true,
      })
    ).map(toMessage);
    const newest = messages[0];
    if (!newest) return false;
    const unread = messages.filter((m) => m.from !== userID).length;
    const set = setClause(conversationFields(ref, newest));
    const key = keys.conversation(userID, ref.conversationID);
    // Only over this deletion's own tombstone: if a later message re-created the conversation meanwhile it
    // counted itself, and a newer deletion's tombstone (higher deletedSeq) must not be undone.
    const restored = await writtenIf(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${set.expression}, unreadCount = :unread REMOVE tombstone, deletedAt`,
          ConditionExpression: 'attribute_not_exists(lastSeq) AND deletedSeq = :deletedSeq',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: { ...set.values, ':unread': unread, ':deletedSeq': deletedSeq },
        }),
      ),
    );
    if (restored) return true;
    await writtenIf(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${set.expression}`,
          ConditionExpression: 'lastSeq < :seq',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: { ...set.values, ':seq': newest.sequence },
        }),
      ),
    );
    return true;
  }

  public async countCopies(userID: string, conversationID: string, afterSeq: number, upToSeq: number): Promise<number> {
    if (upToSeq <= afterSeq) return 0;
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      // Keys only, counted by DynamoDB: nothing but the count comes back.
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID), ':from': seqKey(afterSeq + 1), ':to': seqKey(upToSeq) },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  public async putDeletionRecord(record: DeletionRecord): Promise<void> {
    const expiresAt = Math.floor(Date.parse(record.deletedAt) / 1000) + DELETION_RECORD_RETENTION_DAYS * 86_400;
    const logKey = keys.deletionRecord(record.userID, record.deletedAt, record.deletionID);
    const { messagesPurged = 0, ...fields } = record;
    const put = (Item: Record<string, unknown>) => this.client.send(new PutCommand({ TableName: this.tableName, Item }));
    await Promise.all([
      put({ ...logKey, ...fields, [TTL_ATTRIBUTE]: expiresAt }),
      // Found by ID for its status and its restore; a retry rewrites it whole (its purge count restarts, a known cost).
      ...(record.kind === 'conversationsRestored'
        ? []
        : [
            this.client.send(
              new UpdateCommand({
                TableName: this.tableName,
                Key: keys.deletionStatus(record.userID, record.deletionID),
                // A repeat of the request keeps what the first wrote since: its purge count and its restore.
                UpdateExpression: `SET ${Object.keys(fields)
                  .map((_, i) => `#r${i} = :r${i}`)
                  .join(', ')}, #position = :position, #ttl = :ttl, messagesPurged = if_not_exists(messagesPurged, :purged)`,
                ExpressionAttributeNames: { ...Object.fromEntries(Object.keys(fields).map((k, i) => [`#r${i}`, k])), '#position': 'position', '#ttl': TTL_ATTRIBUTE },
                ExpressionAttributeValues: {
                  ...Object.fromEntries(Object.values(fields).map((v, i) => [`:r${i}`, v])),
                  ':position': logKey.sk,
                  ':ttl': expiresAt,
                  ':purged': messagesPurged,
                },
              }),
            ),
          ]),
    ]);
  }
}

export const deletionRepository = defineAdapter<DeletionRepository>({
  env: [ENV.tableName, ENV.purgeHandoffSeconds],
  methods: {
    readStates: { table: ['dynamodb:BatchGetItem'] },
    readTimelineSequences: { table: ['dynamodb:BatchGetItem'] },
    writeTombstones: { table: ['dynamodb:UpdateItem'] },
    restoreRacedConversation: { table: ['dynamodb:Query', 'dynamodb:UpdateItem'] },
    putDeletionRecord: { table: ['dynamodb:PutItem', 'dynamodb:UpdateItem'] },
    clearHistory: { table: ['dynamodb:UpdateItem'] },
    restoreConversation: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
    countCopies: { table: ['dynamodb:Query'] },
  },
  build: () =>
    new DynamoDeletionRepository(documentClient(), requireEnv(ENV.tableName), {
      onRetry: (n) => metrics.addMetric(METRIC.batchRetries, MetricUnit.Count, n),
      purgeHandoffSeconds: optionalSecondsEnv(ENV.purgeHandoffSeconds, PURGE_SWEEP.handoffSeconds),
    }),
});
