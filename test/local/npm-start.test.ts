/** `npm start` as a user runs it: the CLI starts everything, serves the API, and Ctrl-C leaves nothing behind. */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '#local/dynamodb-local.js';

const TSX = 'node_modules/tsx/dist/cli.mjs';

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const run = (env: NodeJS.ProcessEnv) => {
  const child = spawn(process.execPath, [TSX, 'local/start.ts', '--in-memory'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (text: RegExp, ms: number) => {
    const until = Date.now() + ms;
    while (!text.test(output)) {
      if (Date.now() > until) throw new Error(`no ${text} within ${ms} ms; output so far:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return text.exec(output)!;
  };
  return { child, exited, waitFor, output: () => output };
};

describe('npm start', () => {
  it('serves the API and, on Ctrl-C, stops DynamoDB Local too', async () => {
    const port = await freePort();
    const app = run({ PORT: String(port) });
    try {
      await app.waitFor(/running at http:\/\/localhost:\d+/, 60_000);
      const dynamoPort = Number((await app.waitFor(/DynamoDB Local at http:\/\/127\.0\.0\.1:(\d+)/, 1000))[1]);
      const token = await fetch(`http://localhost:${port}/local/token`, { method: 'POST', body: JSON.stringify({ userID: 'alice' }) });
      const { token: jwt } = (await token.json()) as { token: string };
      const list = await fetch(`http://localhost:${port}/v1/conversations`, { headers: { authorization: `Bearer ${jwt}` } });
      expect(list.status).toBe(200);
      expect(await accepts(dynamoPort)).toBe(true);

      app.child.kill('SIGINT');
      expect(await app.exited).toBe(0);

      expect(await accepts(port)).toBe(false);
      expect(await accepts(dynamoPort)).toBe(false);
    } finally {
      app.child.kill('SIGKILL');
    }
  }, 120_000);

  it('says in one line that Java is missing', async () => {
    // A PATH with node but without java.
    const app = run({ PATH: dirname(process.execPath) === '/usr/bin' ? '/nonexistent' : dirname(process.execPath) });
    const code = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toMatch(/^DynamoDB Local needs Java 17 or newer, and `java` was not found: install it .*$/m);
  }, 60_000);
});
