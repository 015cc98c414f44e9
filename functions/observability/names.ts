/** The service's names in logs, traces and metrics, and every metric name, defined once (the stack's alarms use them too). */
export const SERVICE_NAME = 'conversation-deletion';
export const METRICS_NAMESPACE = 'ConversationDeletion';

export const METRIC = {
  conversationsDeleted: 'ConversationsDeleted',
  conversationsAbsent: 'ConversationsAbsent',
  conversationsFailed: 'ConversationsFailed',
  messagesPurged: 'MessagesPurged',
  /** Purges the sweeper handed to the purge function again (their own event was lost or their run stopped). */
  purgesRedriven: 'PurgesRedriven',
  batchRetries: 'BatchWriteRetries',
  purgesDeferred: 'HistoryPurgesDeferred',
  raceRepairs: 'ConversationRaceRepairs',
  eventRetries: 'PutEventsRetries',
  messagesSent: 'MessagesSent',
  pushesSent: 'DeletionPushesSent',
  pushesGone: 'DeletionPushesGone',
  pushesFailed: 'DeletionPushesFailed',
  pushRetries: 'DeletionPushRetries',
} as const;
