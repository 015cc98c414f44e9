/** BatchGetItem with consistent reads, 100 keys a call in parallel, UnprocessedKeys retried with jittered backoff. */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Key } from '#contracts/table.js';
import { chunk } from './batch-writer.js';
import { fullJitterDelay, sleep } from '../retry.js';

const BATCH_GET_LIMIT = 100;
const MAX_ROUNDS = 10;

export const keyString = (key: Key): string => `${key.pk}\u0000${key.sk}`;

export const batchGet = async (client: DynamoDBDocumentClient, tableName: string, keys: readonly Key[]): Promise<Map<string, Record<string, unknown>>> => {
  const unique = [...new Map(keys.map((k) => [keyString(k), { pk: k.pk, sk: k.sk }])).values()];
  const found = new Map<string, Record<string, unknown>>();
  await Promise.all(
    chunk(unique, BATCH_GET_LIMIT).map(async (part) => {
      let pending: Key[] = part;
      for (let round = 0; pending.length > 0; round++) {
        if (round >= MAX_ROUNDS) throw new Error(`BatchGetItem left ${pending.length} key(s) unprocessed after ${MAX_ROUNDS} rounds`);
        if (round > 0) await sleep(fullJitterDelay(round - 1));
        const response = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of response.Responses?.[tableName] ?? []) found.set(keyString(item as Key), item);
        pending = (response.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[];
      }
    }),
  );
  return found;
};
