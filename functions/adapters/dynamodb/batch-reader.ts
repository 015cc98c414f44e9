/**
 * BatchGetItem with consistent reads, 100 keys a call in parallel; the SDK client retries a failed call,
 * `retryPartial` re-sends only the `UnprocessedKeys`. Throws if keys are still unread after the last attempt.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Key, TABLE_KEYS } from '#contracts/table.js';
import { chunk } from '../chunk.js';
import { isThrottling, retryPartial } from '../retry.js';
import { PARTIAL_RETRY } from '../retry-policy.js';

const BATCH_GET_LIMIT = 100;

export const keyString = (key: Key): string => `${key.pk}\u0000${key.sk}`;

/** `ProjectionExpression` with a placeholder per name, so no attribute name can collide with a reserved word. */
const projectionOf = (names: readonly string[]) => {
  const unique = [...new Set(names)];
  return {
    ProjectionExpression: unique.map((_, i) => `#p${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(unique.map((name, i) => [`#p${i}`, name])),
  };
};

/**
 * `attributes`: read only these (the key attributes are always added). Consistent reads cost the same either way,
 * but a projection makes the answer smaller, which is most of a large batch read's latency.
 */
export const batchGet = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Key[],
  attributes?: readonly string[],
): Promise<Map<string, Record<string, unknown>>> => {
  const projection = attributes ? projectionOf([TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey, ...attributes]) : {};
  const unique = [...new Map(keys.map((k) => [keyString(k), { pk: k.pk, sk: k.sk }])).values()];
  const found = new Map<string, Record<string, unknown>>();
  await Promise.all(
    chunk(unique, BATCH_GET_LIMIT).map(async (part) => {
      const outcome = await retryPartial(part, {
        attempt: async (pending) => {
          try {
            const response = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true, ...projection } } }));
            for (const item of response.Responses?.[tableName] ?? []) found.set(keyString(item as Key), item);
            return (response.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[];
          } catch (error) {
            // Throttled whole (DynamoDB could read none of it) after the SDK's own retries: nothing was processed.
            if (!isThrottling(error)) throw error;
            return pending;
          }
        },
        stop: { maxAttempts: PARTIAL_RETRY.batchGet.maxAttempts },
        backoff: PARTIAL_RETRY.batchGet.backoff,
      });
      if (outcome.stop === 'error') throw outcome.error;
      if (outcome.remaining.length > 0) {
        throw new Error(`BatchGetItem left ${outcome.remaining.length} key(s) unprocessed after ${outcome.attempts} attempts`);
      }
    }),
  );
  return found;
};
