/**
 * Publishes the service's events with PutEvents: the SDK client retries a call that failed as a whole; this checks
 * FailedEntryCount and re-sends only the entries that failed (`retryPartial`). Throws `EventPublishError` if any entry
 * is still failing after the last attempt, or the call itself failed after the SDK's retries.
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ENV, requireEnv } from '#contracts/environment.js';
import { EVENT_SOURCE } from '#contracts/events.js';
import type { EventPublisher, OutgoingEvent } from '#domain/ports/events.js';
import { metrics } from '#observability/metrics.js';
import { METRIC } from '#observability/names.js';
import { defineAdapter } from '#wiring/define.js';
import { eventBridgeClient } from './client.js';
import { chunk } from '../chunk.js';
import { retryPartial } from '../retry.js';
import { type Backoff, PARTIAL_RETRY } from '../retry-policy.js';

const PUT_EVENTS_LIMIT = 10;

export class EventPublishError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventPublishError';
  }
}

export type EventBridgePublisherOptions = {
  eventBusName: string;
  /** Sends of a chunk, the first included (each re-sends only the failed entries). @default 5 */
  maxAttempts?: number;
  /** The wait between rounds. @default PARTIAL_RETRY.putEvents.backoff (50 ms base, 2 s cap) */
  backoff?: Backoff;
  /** Called before each round with the number of entries re-sent (for metrics). */
  onRetry?: (failedEntries: number) => void;
  /** @default the execution environment's shared client */
  client?: EventBridgeClient;
};

export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;

  public constructor(private readonly options: EventBridgePublisherOptions) {
    this.client = options.client ?? eventBridgeClient();
  }

  public async publish(events: OutgoingEvent[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = events.map((e) => ({
      EventBusName: this.options.eventBusName,
      Source: EVENT_SOURCE,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
    }));
    await Promise.all(chunk(entries, PUT_EVENTS_LIMIT).map((part) => this.putWithRetries(part)));
  }

  private async putWithRetries(entries: PutEventsRequestEntry[]): Promise<void> {
    const { onRetry } = this.options;
    let lastError = '';
    const outcome = await retryPartial(entries, {
      attempt: async (pending) => {
        const response = await this.client.send(new PutEventsCommand({ Entries: pending }));
        if (!response.FailedEntryCount) return [];
        // Entries come back in request order; an entry with an ErrorCode failed.
        const results = response.Entries ?? [];
        lastError = results.find((r) => r.ErrorCode)?.ErrorCode ?? 'unknown';
        const failed = pending.filter((_, i) => results[i]?.ErrorCode);
        // A count without the entries to match it: re-send them all rather than lose one (consumers dedupe).
        return failed.length > 0 ? failed : pending;
      },
      stop: { maxAttempts: this.options.maxAttempts ?? PARTIAL_RETRY.putEvents.maxAttempts },
      backoff: this.options.backoff ?? PARTIAL_RETRY.putEvents.backoff,
      ...(onRetry ? { onRetry: (pending: readonly PutEventsRequestEntry[]) => onRetry(pending.length) } : {}),
    });
    if (outcome.stop === 'error') {
      const e = outcome.error as Error;
      throw new EventPublishError(`PutEvents failed: ${e.name}: ${e.message}`, { cause: outcome.error });
    }
    if (outcome.remaining.length > 0) {
      throw new EventPublishError(`${outcome.remaining.length} event(s) not accepted by EventBridge after ${outcome.attempts} attempts (${lastError})`);
    }
  }
}

/** PutEvents on the service's bus. */
export const eventPublisher = defineAdapter<EventPublisher>({
  env: [ENV.eventBusName],
  methods: { publish: { eventBus: ['events:PutEvents'] } },
  build: () =>
    new EventBridgePublisher({ eventBusName: requireEnv(ENV.eventBusName), onRetry: (n) => metrics.addMetric(METRIC.eventRetries, MetricUnit.Count, n) }),
});
