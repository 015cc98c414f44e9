/**
 * `npm start -- --events`: the runner prints one compact line per bus event (console/src/event-line.ts, the line the
 * console's events view shows), here for a real deletion. Runs against the test run's DynamoDB Local with a table
 * of its own, so no second DynamoDB Local starts.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '#local/dynamodb-local.js';
import { eventLine } from '../../console/src/event-line.js';
import { uniqueUser } from '../support/stack.js';

const TSX = 'node_modules/tsx/dist/cli.mjs';

describe('npm start -- --events', () => {
  it('prints one line per bus event', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [TSX, 'local/start.ts', '--in-memory', '--events'], {
      env: { ...process.env, PORT: String(port), DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'), LOCAL_TABLE_NAME: `e${randomUUID().slice(0, 8)}`, LOCAL_SCHEDULE_EVERY_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const waitFor = async (text: RegExp) => {
      for (const until = Date.now() + 30_000; !text.test(output); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > until) throw new Error(`no ${text} within 30 s; output so far:\n${output}`);
      }
      return text.exec(output)!;
    };
    try {
      await waitFor(/--events: one line per bus event follows/);
      const alice = uniqueUser('a');
      const { token } = (await (await fetch(`http://localhost:${port}/local/token`, { method: 'POST', body: JSON.stringify({ userID: alice }) })).json()) as { token: string };
      const headers = { authorization: `Bearer ${token}`, 'x-device-id': 'laptop' };
      await fetch(`http://localhost:${port}/v1/messages`, { method: 'POST', headers, body: JSON.stringify({ conversationID: 'C2Cbob', text: 'hi' }) });
      const answer = (await (await fetch(`http://localhost:${port}/v1/conversations/delete`, { method: 'POST', headers, body: '{"conversationIDList":["C2Cbob"],"clearHistoryMessage":false}' })).json()) as {
        data: { deletionID: string };
      };
      const [line] = await waitFor(/^event .*ConversationsDeleted.*$/m);
      expect(line).toMatch(new RegExp(`^event \\d\\d:\\d\\d:\\d\\d\\.\\d{3} ConversationsDeleted user=${alice} id=${answer.data.deletionID.slice(0, 8)} C2Cbob history=kept purge=none device=laptop$`));
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 60_000);

  it('names what each kind of event carries', () => {
    const time = '2026-11-26T06:14:53.630Z';
    expect(eventLine({ 'detail-type': 'ConversationsRestored', time, detail: { userID: 'alice', deletionID: 'ed6c2d7f-4a15', restoresDeletionID: 'a041721a-c8b6', conversationIDList: ['C2Cbob'], clearHistoryMessage: true, originDeviceID: null } })).toBe(
      '06:14:53.630 ConversationsRestored user=alice id=ed6c2d7f C2Cbob history=cleared restores=a041721a',
    );
    expect(eventLine({ 'detail-type': 'ConversationHistoryPurgeRequested', time, detail: { userID: 'alice', deletionID: 'a041721a-c8b6', targets: [{ conversationID: 'C2Cbob', clearSeq: 3, afterSeq: 0 }] } })).toBe(
      '06:14:53.630 ConversationHistoryPurgeRequested user=alice id=a041721a C2Cbob',
    );
    expect(eventLine({ 'detail-type': 'ConversationHistoryPurged', time, detail: { userID: 'alice', deletionID: 'a041721a-c8b6', conversationIDList: ['C2Cbob'], messagesDeleted: 3, durationMs: 41 } })).toBe(
      '06:14:53.630 ConversationHistoryPurged user=alice id=a041721a C2Cbob messagesDeleted=3 durationMs=41',
    );
  });
});
