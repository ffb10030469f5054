// The browser host: serves the built renderer and `window.kiosk` over a loopback WebSocket, so the kiosk runs in
// plain Chromium (development, end-to-end tests, thin clients). Same handlers as Electron's IPC; no logic here.
// The agent console (`dck agent --browser`) is served by the same host code with its own page (agent.html), page
// script (/agent-host.js defining window.agentConsole) and handlers: `startConsoleBrowserHost`; so is "Set up this PC"
// (`dck pc --browser`: pc.html, /pc-host.js defining window.thisPc): `startPcBrowserHost`.
//
// Who may talk to it (every request and the WebSocket handshake are checked):
// - loopback only: it listens on 127.0.0.1, and the Host header must be exactly 127.0.0.1:<port> (DNS rebinding);
// - a single-use launch token: the launch URL `http://127.0.0.1:<port>/?launch=<token>` works once; it sets the
//   session cookie (a different random value, HttpOnly, SameSite=Strict) and redirects to `/`. Every other request
//   needs that cookie (constant-time compare). A second visit of the same URL is refused, so a launch URL seen in a
//   terminal, a log or a process list is worth nothing once the kiosk's browser used it; `newLaunchUrl()` mints
//   another (a restarted browser);
// - the WebSocket handshake also needs Origin === http://127.0.0.1:<port> (other local pages share the "site").
// Every page answer carries a strict Content-Security-Policy.
//
// Hostile traffic ends only its own connection: every socket, the WebSocket server and the HTTP server have error
// handlers (a frame over the size limit, invalid UTF-8, RSV bits, an unmasked client frame make `ws` emit 'error';
// unhandled, that would end the whole process — host, embedded issuer, card session).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import type { ConsoleHandlers, ConsoleView } from '../../contracts/console-api.ts';
import type { KioskHandlers, KioskView, Result } from '../../contracts/kiosk-api.ts';
import type { PcHandlers, PcView } from '../../contracts/pc-api.ts';
import { invokeConsole, invokeKiosk, invokePc } from '../transport/invoke.ts';
import { decodeCallFrame, MAX_CALL_FRAME_BYTES } from '../transport/wire.ts';
import type { HostMessage } from '../transport/wire.ts';
import { serveStatic } from './static-files.ts';

export interface BrowserHostOptions {
  readonly handlers: KioskHandlers;
  readonly subscribeViews: (listener: (view: KioskView) => void) => () => void;
  /** Directory of the built renderer (renderer/dist). */
  readonly rendererDir: string;
  /** The page script defining window.kiosk (see kiosk-host-bundle.ts). */
  readonly kioskHostScript: string;
  /** 0 (default): any free port. */
  readonly port?: number;
  readonly log?: (event: string, fields?: Readonly<Record<string, string | number>>) => void;
}

/** The agent console's host: same hardening, its own handlers, views, page (agent.html) and page script. */
export interface ConsoleBrowserHostOptions {
  readonly handlers: ConsoleHandlers;
  readonly subscribeViews: (listener: (view: ConsoleView) => void) => () => void;
  readonly rendererDir: string;
  /** The page script defining window.agentConsole (kiosk-host-bundle.ts `consoleHostScript`). */
  readonly consoleHostScript: string;
  readonly port?: number;
  readonly log?: (event: string, fields?: Readonly<Record<string, string | number>>) => void;
}

/** "Set up this PC" (`dck pc --browser`): same hardening, its own handlers, views, page (pc.html) and page script. */
export interface PcBrowserHostOptions {
  readonly handlers: PcHandlers;
  readonly subscribeViews: (listener: (view: PcView) => void) => () => void;
  readonly rendererDir: string;
  /** The page script defining window.thisPc (kiosk-host-bundle.ts `pcHostScript`). */
  readonly pcHostScript: string;
  readonly port?: number;
  readonly log?: (event: string, fields?: Readonly<Record<string, string | number>>) => void;
}

/** What differs between the apps a browser host can serve; everything else (who may talk to it) is shared. */
interface HostedApp<View> {
  /** Checks the call name and arguments against the app's channel table, then calls its handler. */
  readonly dispatch: (call: unknown, args: unknown) => Promise<Result<unknown, { readonly code: string }>>;
  readonly subscribeViews: (listener: (view: View) => void) => () => void;
  readonly rendererDir: string;
  readonly indexFile: string;
  readonly hostScriptPath: string;
  readonly hostScript: string;
  /** Used in the refusal texts ("Open the kiosk with the launch URL `dck kiosk` printed."). */
  readonly name: 'kiosk' | 'agent console' | '"Set up this PC" app';
  readonly command: 'dck kiosk' | 'dck agent' | 'dck pc --browser';
  readonly port?: number;
  readonly log?: (event: string, fields?: Readonly<Record<string, string | number>>) => void;
}

export interface RunningBrowserHost {
  /** The first launch URL: it carries a single-use launch token (refused after its first visit). */
  readonly launchUrl: string;
  /** Another single-use launch URL (another browser, a restarted one, a test's second page). */
  newLaunchUrl(): string;
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

export const SESSION_COOKIE = 'dck-kiosk';
const WEBSOCKET_PATH = '/kiosk-ws';

export function contentSecurityPolicy(origin: string): string {
  const socketOrigin = origin.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${socketOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function cookieValue(request: IncomingMessage, name: string): string | null {
  const header = request.headers.cookie;
  if (header === undefined || header.length > 4096) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

function sameSecret(given: string | null, secret: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function startBrowserHost(options: BrowserHostOptions): Promise<RunningBrowserHost> {
  const log = options.log ?? (() => undefined);
  return startHost<KioskView>({
    dispatch: (call, args) =>
      invokeKiosk(options.handlers, call, args, (name, error) =>
        log('handler-failed', { call: name, error: error instanceof Error ? error.name : typeof error }),
      ),
    subscribeViews: options.subscribeViews,
    rendererDir: options.rendererDir,
    indexFile: 'index.html',
    hostScriptPath: '/kiosk-host.js',
    hostScript: options.kioskHostScript,
    name: 'kiosk',
    command: 'dck kiosk',
    ...(options.port === undefined ? {} : { port: options.port }),
    log,
  });
}

export function startConsoleBrowserHost(options: ConsoleBrowserHostOptions): Promise<RunningBrowserHost> {
  const log = options.log ?? (() => undefined);
  return startHost<ConsoleView>({
    dispatch: (call, args) =>
      invokeConsole(options.handlers, call, args, (name, error) =>
        log('handler-failed', { call: name, error: error instanceof Error ? error.name : typeof error }),
      ),
    subscribeViews: options.subscribeViews,
    rendererDir: options.rendererDir,
    indexFile: 'agent.html',
    hostScriptPath: '/agent-host.js',
    hostScript: options.consoleHostScript,
    name: 'agent console',
    command: 'dck agent',
    ...(options.port === undefined ? {} : { port: options.port }),
    log,
  });
}

export function startPcBrowserHost(options: PcBrowserHostOptions): Promise<RunningBrowserHost> {
  const log = options.log ?? (() => undefined);
  return startHost<PcView>({
    dispatch: (call, args) =>
      invokePc(options.handlers, call, args, (name, error) =>
        log('handler-failed', { call: name, error: error instanceof Error ? error.name : typeof error }),
      ),
    subscribeViews: options.subscribeViews,
    rendererDir: options.rendererDir,
    indexFile: 'pc.html',
    hostScriptPath: '/pc-host.js',
    hostScript: options.pcHostScript,
    name: '"Set up this PC" app',
    command: 'dck pc --browser',
    ...(options.port === undefined ? {} : { port: options.port }),
    log,
  });
}

async function startHost<View>(options: HostedApp<View>): Promise<RunningBrowserHost> {
  const log = options.log ?? (() => undefined);
  // The session cookie's value; never in a URL, never the same as any launch token.
  const sessionSecret = randomBytes(32).toString('base64url');
  const launchTokens = new Set<string>();
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error: Error) => log('browser-host-server-error', { error: error.name }));
  // A malformed HTTP request (or a socket reset under it) ends that connection only.
  server.on('clientError', (error: Error, socket: Duplex) => {
    log('browser-host-bad-request', { error: (error as NodeJS.ErrnoException).code ?? error.name });
    socket.destroy();
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const host = `127.0.0.1:${port}`;
  const csp = contentSecurityPolicy(origin);
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CALL_FRAME_BYTES });
  wss.on('error', (error: Error) => log('browser-host-socket-server-error', { error: error.name }));

  const hasSession = (request: IncomingMessage): boolean =>
    request.headers.host === host && sameSecret(cookieValue(request, SESSION_COOKIE), sessionSecret);

  /** Spends a launch token: true once per minted token. Compared in constant time against every live one. */
  const spendLaunchToken = (given: string): boolean => {
    let matched: string | null = null;
    for (const token of launchTokens) if (sameSecret(given, token)) matched = token;
    if (matched === null) return false;
    launchTokens.delete(matched);
    return true;
  };
  const newLaunchUrl = (): string => {
    const token = randomBytes(32).toString('base64url');
    launchTokens.add(token);
    return `${origin}/?launch=${token}`;
  };

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const send = (status: number, text: string): void => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      response.end(text);
    };
    if (request.headers.host !== host) return send(421, 'wrong host');
    const url = new URL(request.url ?? '/', origin);
    const launch = url.searchParams.get('launch');
    if (url.pathname === '/' && launch !== null) {
      if (!spendLaunchToken(launch))
        return send(
          403,
          `This launch link is not valid or was already used. Start the ${options.name} again for a new one.`,
        );
      log('browser-host-launched');
      response.writeHead(303, {
        location: '/',
        'set-cookie': `${SESSION_COOKIE}=${sessionSecret}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      return response.end();
    }
    if (!hasSession(request))
      return send(403, `Open the ${options.name} with the launch URL \`${options.command}\` printed.`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'method not allowed');
    serveStatic(request, response, {
      rendererDir: options.rendererDir,
      pathname: url.pathname,
      extraFiles: { [options.hostScriptPath]: { body: options.hostScript, type: 'text/javascript; charset=utf-8' } },
      csp,
      indexFile: options.indexFile,
    });
    return undefined;
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until `ws` takes the socket over (and after, alongside its own handler): a reset must not throw.
    socket.on('error', (error: Error) =>
      log('browser-host-socket-error', { error: (error as NodeJS.ErrnoException).code ?? error.name }),
    );
    const path = new URL(request.url ?? '/', origin).pathname;
    if (path !== WEBSOCKET_PATH || request.headers.origin !== origin || !hasSession(request)) {
      log('browser-host-refused-socket', { path: path.slice(0, 40) });
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  const sendTo = (ws: WebSocket, message: HostMessage<View, { readonly code: string }>): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  let latestView: View | null = null;
  const unsubscribe = options.subscribeViews((view) => {
    latestView = view;
    for (const ws of sockets) sendTo(ws, { kind: 'view', view });
  });

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    if (latestView !== null) sendTo(ws, { kind: 'view', view: latestView });
    ws.on('close', () => sockets.delete(ws));
    // A protocol violation (oversize frame, invalid UTF-8, RSV1 without an extension, an unmasked frame): `ws` has
    // already sent the close frame with the right code (1009, 1007, 1002) and stopped reading; it ends the socket
    // when the peer answers or after its close timeout. This connection ends, the kiosk does not.
    ws.on('error', (error: Error) => {
      const code = (error as { code?: unknown }).code;
      log('browser-host-bad-socket', { error: typeof code === 'string' ? code : error.name });
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary || !Buffer.isBuffer(data)) {
        ws.close(1003, 'binary call frames only');
        return;
      }
      const decoded = decodeCallFrame(data, (bytes) => Buffer.from(bytes));
      data.fill(0); // the frame may hold a PIN; the decoded arguments are copies
      if (!decoded.ok) {
        log('browser-host-bad-frame', { reason: decoded.reason });
        ws.close(1008, 'malformed call');
        return;
      }
      const { id, call, args } = decoded.frame;
      void options.dispatch(call, args).then((result) => sendTo(ws, { kind: 'result', id, result }));
    });
  });

  return {
    launchUrl: newLaunchUrl(),
    newLaunchUrl,
    origin,
    port,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
