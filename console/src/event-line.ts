/**
 * One compact line per bus event: what the console's live events view shows above each event's JSON, and what
 * `npm start -- --events` prints. Pure (no DOM, no Node), so both use this one definition.
 */

export type BusEventLike = { 'detail-type': string; time: string; detail: Record<string, unknown> };

const short = (id: unknown): string => (typeof id === 'string' ? id.slice(0, 8) : '-');
/** The conversations: `conversationIDList`, or a purge request's `targets`. */
const conversations = (d: Record<string, unknown>): string => {
  const ids = Array.isArray(d.conversationIDList)
    ? d.conversationIDList
    : Array.isArray(d.targets)
      ? d.targets.map((t: { conversationID?: unknown }) => t?.conversationID)
      : [];
  return ids.length ? ids.join(',') : '-';
};

/** `06:15:02.118 ConversationsDeleted user=alice id=3c182200 C2Cbob,GROUPg1 history=cleared purge=scheduled device=laptop` */
export const eventLine = (event: BusEventLike): string => {
  const d = event.detail;
  const parts = [event.time.slice(11, 23), event['detail-type'], `user=${String(d.userID ?? '-')}`, `id=${short(d.deletionID)}`, conversations(d)];
  if (typeof d.clearHistoryMessage === 'boolean') parts.push(`history=${d.clearHistoryMessage ? 'cleared' : 'kept'}`);
  if (typeof d.historyPurge === 'string') parts.push(`purge=${d.historyPurge}`);
  if (typeof d.restoresDeletionID === 'string') parts.push(`restores=${short(d.restoresDeletionID)}`);
  if (typeof d.messagesDeleted === 'number') parts.push(`messagesDeleted=${d.messagesDeleted}`);
  if (typeof d.durationMs === 'number') parts.push(`durationMs=${d.durationMs}`);
  if (typeof d.actedBy === 'string') parts.push(`actedBy=${d.actedBy}`);
  if (typeof d.originDeviceID === 'string') parts.push(`device=${d.originDeviceID}`);
  return parts.join(' ');
};
