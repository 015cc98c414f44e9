/**
 * Publishes the service's events with PutEvents, checking FailedEntryCount and re-sending only the entries
 * that failed, with jittered backoff. Throws if any entry is still failing after the last attempt.
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
import { chunk } from '../dynamodb/batch-writer.js';
import { fullJitterDelay, sleep } from '../retry.js';

const PUT_EVENTS_LIMIT = 10;

export class EventPublishError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventPublishError';
  }
}

export type EventBridgePublisherOptions = {
  eventBusName: string;
  /** @default 5 */
  maxAttempts?: number;
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
    const maxAttempts = this.options.maxAttempts ?? 5;
    let pending = entries;
    let lastError = '';
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) {
        this.options.onRetry?.(pending.length);
        await sleep(fullJitterDelay(attempt - 1, { baseMs: 50, capMs: 2000 }));
      }
      const response = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!response.FailedEntryCount) return;
      // Entries come back in request order; an entry with an ErrorCode failed.
      const results = response.Entries ?? [];
      lastError = results.find((r) => r.ErrorCode)?.ErrorCode ?? 'unknown';
      pending = pending.filter((_, i) => results[i]?.ErrorCode);
    }
    throw new EventPublishError(`${pending.length} event(s) not accepted by EventBridge after ${maxAttempts} attempts (${lastError})`);
  }
}

/** PutEvents on the service's bus. */
export const eventPublisher = defineAdapter<EventPublisher>({
  env: [ENV.eventBusName],
  methods: { publish: { eventBus: ['events:PutEvents'] } },
  build: () =>
    new EventBridgePublisher({ eventBusName: requireEnv(ENV.eventBusName), onRetry: (n) => metrics.addMetric(METRIC.eventRetries, MetricUnit.Count, n) }),
});
