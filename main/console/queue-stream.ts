// The live queue on main's side: GET /agent/queue/events (server-sent events, `event: queue`, data = EnrollmentQueue)
// read with undici's fetch, because the stream needs the agent's Bearer header and the token never reaches the page
// (an EventSource in the renderer could not send it). Trusts only the issuer's CA, as the rest of the client. Every
// frame is bounded and checked against the contract before it is shown; a bad frame ends the stream (the issuer is
// not behaving) and the follower reconnects after a pause, as after any break, until it is stopped.
import { Value } from 'typebox/value';
import { Agent, fetch } from 'undici';
import { EnrollmentQueue } from '../../contracts/agent-api.ts';
import { ISSUER_API } from '../../contracts/issuer-routes.ts';

/** Largest SSE frame read: 500 entries (the route's maxItems) of ~700 bytes each, with room to spare. */
export const MAX_QUEUE_FRAME_BYTES = 1024 * 1024;
/** The pause before reconnecting after the stream broke (or the issuer refused it). */
const RECONNECT_MS = 3_000;

export type QueueStreamEvent =
  | { readonly kind: 'queue'; readonly queue: EnrollmentQueue }
  | { readonly kind: 'interrupted'; readonly reason: string }
  /** The issuer refused the stream with 401: the session ended (the controller locks). */
  | { readonly kind: 'session-ended' };

export interface QueueStreamOptions {
  readonly issuerUrl: string;
  readonly trustedCaPem: string;
}

/** Starts following the queue with `token`; returns the function that stops it. */
export type QueueFollower = (token: string, onEvent: (event: QueueStreamEvent) => void) => () => void;

export function createQueueFollower(options: QueueStreamOptions): QueueFollower {
  return (token, onEvent) => {
    const stopped = new AbortController();
    // One dispatcher per follow: stopping it closes the stream's socket at once.
    const dispatcher = new Agent({ connect: { ca: options.trustedCaPem }, bodyTimeout: 0 });
    const loop = async (): Promise<void> => {
      while (!stopped.signal.aborted) {
        const ended = await followOnce(options.issuerUrl, token, dispatcher, stopped.signal, onEvent);
        if (stopped.signal.aborted) return;
        if (ended === 'session-ended') return onEvent({ kind: 'session-ended' });
        onEvent({ kind: 'interrupted', reason: ended });
        await pause(RECONNECT_MS, stopped.signal);
      }
    };
    void loop();
    return () => {
      stopped.abort();
      void dispatcher.destroy();
    };
  };
}

/** One connection: events until it ends; returns why (never the token, never the body). */
async function followOnce(
  issuerUrl: string,
  token: string,
  dispatcher: Agent,
  signal: AbortSignal,
  onEvent: (event: QueueStreamEvent) => void,
): Promise<string> {
  try {
    const answer = await fetch(new URL(ISSUER_API.agentQueueEvents.path, issuerUrl), {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      dispatcher,
      signal,
    });
    if (answer.status === 401) return 'session-ended';
    if (answer.status !== 200 || answer.body === null) return `HTTP ${answer.status}`;
    const frames = new SseFrames(MAX_QUEUE_FRAME_BYTES);
    const decoder = new TextDecoder();
    for await (const chunk of answer.body as AsyncIterable<Uint8Array>) {
      for (const frame of frames.push(decoder.decode(chunk, { stream: true }))) {
        const queue = queueOf(frame);
        if (queue === null) return 'a queue event that does not match the contract';
        onEvent({ kind: 'queue', queue });
      }
    }
    return 'the stream ended';
  } catch (error: unknown) {
    return error instanceof Error ? error.name : 'the stream failed';
  }
}

/** An `event: queue` frame's data as the contract's EnrollmentQueue; null for anything else of that event. */
export function queueOf(frame: SseFrame): EnrollmentQueue | null {
  let data: unknown;
  try {
    data = JSON.parse(frame.data);
  } catch {
    return null;
  }
  return Value.Check(EnrollmentQueue, data) ? data : null;
}

export interface SseFrame {
  readonly event: string;
  readonly data: string;
}

/**
 * Server-sent event frames from text as it arrives: comments (`: keep-alive`) are skipped, and only `queue` events
 * are returned. A frame longer than `maxBytes` throws (the caller ends the stream), so a hostile issuer cannot grow
 * the buffer without bound.
 */
export class SseFrames {
  #buffer = '';
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(text: string): SseFrame[] {
    this.#buffer += text.replace(/\r\n?/g, '\n');
    const frames: SseFrame[] = [];
    let end = this.#buffer.indexOf('\n\n');
    while (end !== -1) {
      const frame = parseFrame(this.#buffer.slice(0, end));
      this.#buffer = this.#buffer.slice(end + 2);
      if (frame?.event === 'queue') frames.push(frame);
      end = this.#buffer.indexOf('\n\n');
    }
    if (this.#buffer.length > this.#maxBytes) throw new RangeError('queue event too large');
    return frames;
  }
}

function parseFrame(block: string): SseFrame | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? null : { event, data: data.join('\n') };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
