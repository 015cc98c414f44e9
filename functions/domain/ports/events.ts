/** The service's events, as the use cases publish them. */

export type OutgoingEvent = { detailType: string; detail: object };

export interface EventPublisher {
  /** Publishes all events or throws; retries entries EventBridge reports as failed. */
  publish(events: OutgoingEvent[]): Promise<void>;
}
