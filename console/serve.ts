/**
 * The console on the local runner: the page at `/` for a browser (a request that accepts text/html; API tools still
 * get the runner's JSON index there), its assets under /console/, its configuration, and /local/events, the local
 * bus's events as a server-sent event stream for the page's live events view.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalEventBus } from '../local/event-bus.js';
import { buildConsole, type ConsoleFiles } from './build.js';

/** Recent events a new events view starts with, so a page opened after a deletion still shows it. */
const REPLAYED_EVENTS = 50;

let built: Promise<ConsoleFiles> | undefined;
/** Built once per process, on first use (about 100 ms); a failed build is tried again on the next request. */
const files = (): Promise<ConsoleFiles> => (built ??= buildConsole().catch((error: unknown) => ((built = undefined), Promise.reject(error))));

/** The page may load only its own files and talk only to this runner (HTTP and WebSocket). */
const securityHeaders = (host: string): Record<string, string> => ({
  'content-security-policy': `default-src 'self'; connect-src 'self' ws://${host}; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
});

const wantsPage = (req: IncomingMessage): boolean => /\btext\/html\b/.test(req.headers.accept ?? '');

/** Serves the console's requests; false for any other request. */
export const serveConsole = async (req: IncomingMessage, res: ServerResponse, url: URL, bus: LocalEventBus): Promise<boolean> => {
  const host = /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host ?? '') ? req.headers.host! : 'localhost';
  if (url.pathname === '/local/events') {
    streamEvents(req, res, bus);
    return true;
  }
  if (url.pathname === '/console/config.json') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ mode: 'local', apiUrl: `http://${host}` }));
    return true;
  }
  const path = url.pathname === '/' ? (wantsPage(req) ? 'index.html' : undefined) : url.pathname.slice(1);
  if (path !== 'index.html' && !path?.startsWith('console/')) return false;
  const file = (await files()).get(path);
  if (!file) return false;
  res.writeHead(200, { 'content-type': file.contentType, ...securityHeaders(host) });
  res.end(file.body);
  return true;
};

const streamEvents = (req: IncomingMessage, res: ServerResponse, bus: LocalEventBus) => {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  const write = (event: unknown) => res.write(`data: ${JSON.stringify(event)}\n\n`);
  for (const event of bus.history.slice(-REPLAYED_EVENTS)) write(event);
  const off = bus.onEvent(write);
  req.on('close', off);
};
