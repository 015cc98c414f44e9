/** Small helpers that drive the API the way a chat client would. */
import { expect } from 'vitest';
import type { ApiClient } from './stack.js';

export const send = async (client: ApiClient, conversationID: string, text: string) => {
  const response = await client.post('/v1/messages', { conversationID, text });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.data as { messageID: string; sequence: number; text: string; conversationID: string };
};

export const conversationIDs = async (client: ApiClient): Promise<string[]> => {
  const response = await client.get('/v1/conversations?limit=100');
  expect(response.status).toBe(200);
  return response.body.data.conversationList.map((c: { conversationID: string }) => c.conversationID);
};

export const conversation = async (client: ApiClient, conversationID: string) => {
  const response = await client.get('/v1/conversations?limit=100');
  return response.body.data.conversationList.find((c: { conversationID: string }) => c.conversationID === conversationID);
};

export const historyTexts = async (client: ApiClient, conversationID: string): Promise<string[]> => {
  const texts: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
    const response = await client.get(`/v1/conversations/${encodeURIComponent(conversationID)}/messages${query}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    texts.push(...response.body.data.messageList.map((m: { text: string }) => m.text));
    cursor = response.body.data.nextCursor;
  } while (cursor);
  return texts;
};

export const createGroup = async (client: ApiClient, groupID: string, memberList: string[]) => {
  const response = await client.post('/v1/groups', { groupID, memberList });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.data;
};
