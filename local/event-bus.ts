/**
 * Local EventBridge: speaks the PutEvents API (so the publisher code is the same as in the cloud), matches each
 * event against the very rule patterns the CDK stack deploys, and invokes the target functions asynchronously,
 * retrying failures like EventBridge's retry policy and logging what would go to the dead-letter queue.
 */
import { randomUUID } from 'node:crypto';
import { type EventPattern, matchesPattern } from '#contracts/events.js';

export type BusEvent = {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
};

export type BusTarget = { rule: string; pattern: EventPattern; invoke: (event: BusEvent) => Promise<unknown> };

export type PutEventsEntry = { Source?: string; DetailType?: string; Detail?: string; EventBusName?: string };

export class LocalEventBus {
  private readonly inFlight = new Set<Promise<void>>();
  /** Every event accepted, for tests and the walk-through (newest last, bounded). */
  public readonly history: BusEvent[] = [];
  private readonly listeners = new Set<(event: BusEvent) => void>();

  public constructor(
    private readonly targets: BusTarget[],
    private readonly options: { maxAttempts?: number; log?: (message: string, extra?: unknown) => void; name?: string } = {},
  ) {}

  /** This bus's own events only: an entry for another bus (or none named: the default bus) goes nowhere in the cloud. */
  private isThisBus(name: string | undefined): boolean {
    if (this.options.name === undefined) return true;
    return name === this.options.name || (name?.startsWith('arn:') === true && name.endsWith(`:event-bus/${this.options.name}`));
  }

  public onEvent(listener: (event: BusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The PutEvents API: accepts entries, answers at once, delivers in the background. */
  public putEvents(entries: PutEventsEntry[]): { FailedEntryCount: number; Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] } {
    const results = entries.map((entry) => {
      if (!this.isThisBus(entry.EventBusName)) {
        return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${entry.EventBusName ?? 'default'} does not exist here: the service's bus is ${this.options.name}` };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail ?? '');
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
      if (!entry.Source || !entry.DetailType || typeof detail !== 'object' || detail === null) {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and an object Detail are required' };
      }
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: '000000000000',
        time: new Date().toISOString(),
        region: process.env.AWS_REGION ?? 'us-east-1',
        resources: [],
        detail: detail as Record<string, unknown>,
      };
      this.deliver(event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /** Resolves when every delivery under way (including ones they cause) has finished. */
  public async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private deliver(event: BusEvent) {
    this.history.push(event);
    if (this.history.length > 1000) this.history.shift();
    for (const listener of this.listeners) listener(event);
    for (const target of this.targets) {
      if (!matchesPattern(target.pattern, event)) continue;
      const run = this.invokeWithRetries(target, event).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
  }

  private async invokeWithRetries(target: BusTarget, event: BusEvent): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        await target.invoke(event);
        return;
      } catch (error) {
        if (attempt >= maxAttempts) {
          this.options.log?.(`rule ${target.rule}: event ${event.id} failed ${attempt} times; in the cloud it would go to the dead-letter queue`, error);
          return;
        }
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }
}
