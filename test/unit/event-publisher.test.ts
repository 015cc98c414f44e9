/** PutEvents' partial failures, scripted (EventBridge's control plane cannot run here). */
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { EventBridgePublisher, EventPublishError } from '../../functions/adapters/eventbridge/event-publisher.js';

const scripted = (failFirst: number, failAlways = false) => {
  const sent: PutEventsRequestEntry[][] = [];
  const client = {
    send: async (command: { input: { Entries: PutEventsRequestEntry[] } }) => {
      const entries = command.input.Entries;
      sent.push(entries);
      const failing = failAlways ? entries.length : sent.length === 1 ? failFirst : 0;
      return {
        FailedEntryCount: failing,
        Entries: entries.map((_, i) => (i < failing ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : { EventId: `e${i}` })),
      };
    },
  } as unknown as EventBridgeClient;
  return { client, sent };
};

describe('EventBridgePublisher', () => {
  it('re-sends only the entries EventBridge reports as failed', async () => {
    const { client, sent } = scripted(2);
    const publisher = new EventBridgePublisher({ eventBusName: 'bus', client });
    await publisher.publish([1, 2, 3].map((n) => ({ detailType: 'T', detail: { n } })));
    expect(sent).toHaveLength(2);
    expect(sent[1]!.map((e) => JSON.parse(e.Detail!).n)).toEqual([1, 2]);
    expect(sent[0]![0]).toMatchObject({ EventBusName: 'bus', Source: 'conversation-deletion-service', DetailType: 'T' });
  });

  it('throws after the last attempt instead of dropping events silently', async () => {
    const { client, sent } = scripted(0, true);
    const publisher = new EventBridgePublisher({ eventBusName: 'bus', client, maxAttempts: 3 });
    await expect(publisher.publish([{ detailType: 'T', detail: {} }])).rejects.toBeInstanceOf(EventPublishError);
    expect(sent).toHaveLength(3);
  });
});
