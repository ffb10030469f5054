// The benchmark's client interface, and undici's Pool behind it (keep-alive connections, llhttp parser): cheaper
// per request than node:https request(), a well-tried general client to cross-check bench/issuer-raw-client.ts.
// Every call is a real HTTPS request (TLS, HTTP/1.1, full body read and JSON parse).
import { Pool } from 'undici';
import { routeRequest } from '../contracts/issuer-caller.ts';
import type { CallInput } from '../contracts/issuer-caller.ts';
import type { RouteName } from '../contracts/issuer-routes.ts';

export interface BenchAnswer<T> {
  status: number;
  body: T;
  text: string;
}

export interface BenchRequest {
  json?: unknown;
  form?: Record<string, string>;
  bearer?: string;
}

export interface BenchHttpClient {
  send<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    options?: BenchRequest,
  ): Promise<BenchAnswer<T>>;
  /** Closes the connections; calling it again is harmless. */
  close(): Promise<void>;
}

/**
 * A call of route `name` of the table (contracts/issuer-routes.ts), checked at compile time, over any bench client
 * (the raw one included, so the figures stay the transport's). `form`: the body form-encoded (RFC 8628 routes).
 */
export function sendRoute<N extends RouteName, T>(
  http: BenchHttpClient,
  name: N,
  input: CallInput<N> & { form?: boolean },
): Promise<BenchAnswer<T>> {
  const { method, path, json } = routeRequest(name, input);
  const bearer = input.bearer === undefined ? {} : { bearer: input.bearer };
  if (input.form !== true || json === undefined)
    return http.send<T>(method, path, { ...(json === undefined ? {} : { json }), ...bearer });
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(json as object)) if (value !== undefined) form[key] = String(value);
  return http.send<T>(method, path, { form, ...bearer });
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page, a truncated body): the caller sees the text and the status.
    return text;
  }
}

export function undiciClient(baseUrl: string, tlsCertificatePem: string, connections: number): BenchHttpClient {
  const pool = new Pool(baseUrl, { connections, pipelining: 1, connect: { ca: tlsCertificatePem } });
  let closing: Promise<void> | null = null;
  return {
    async send<T>(method: 'GET' | 'POST', path: string, options: BenchRequest = {}): Promise<BenchAnswer<T>> {
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['content-type'] = 'application/json';
      }
      if (options.form !== undefined) {
        body = new URLSearchParams(options.form).toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
      if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
      const answer = await pool.request({ method, path, headers, ...(body === undefined ? {} : { body }) });
      const text = await answer.body.text();
      return { status: answer.statusCode, body: parseBody(text) as T, text };
    },
    close: () => (closing ??= pool.close()),
  };
}
