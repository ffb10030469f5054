// A tiny HTTPS client for the issuer tests and benchmark: trusts only the issuer's own TLS certificate.
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { routeRequest } from '../../../contracts/issuer-caller.ts';
import type { CallInput } from '../../../contracts/issuer-caller.ts';
import type { RouteName } from '../../../contracts/issuer-routes.ts';

export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
  text: string;
}

export class IssuerHttpClient {
  protected readonly agent: Agent;

  constructor(
    protected readonly baseUrl: string,
    tlsCertificatePem: string,
    maxSockets = 16,
  ) {
    this.agent = new Agent({ ca: tlsCertificatePem, keepAlive: true, maxSockets });
  }

  send<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    options: {
      json?: unknown;
      form?: Record<string, string>;
      raw?: string;
      contentType?: string;
      bearer?: string;
      /** Extra request headers (a kiosk's signature). */
      headers?: Record<string, string>;
    } = {},
  ): Promise<HttpAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | undefined;
    if (options.json !== undefined) {
      payload = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (options.form !== undefined) {
      payload = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (options.raw !== undefined) {
      payload = options.raw;
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.baseUrl), { method, headers, agent: this.agent }, (res) => {
        this.onResponse(res);
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, body: body as T, text });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * A call of route `name` of the table (contracts/issuer-routes.ts): path, params and body are checked at compile
   * time; the answer is returned raw, so tests see every status and error body. `form`: the body form-encoded
   * (the RFC 8628 endpoints accept both).
   */
  route<N extends RouteName, T = Record<string, unknown>>(
    name: N,
    input: CallInput<N> & { form?: boolean },
  ): Promise<HttpAnswer<T>> {
    const { method, path, json } = routeRequest(name, input);
    const bearer = input.bearer === undefined ? {} : { bearer: input.bearer };
    if (input.form === true && json !== undefined)
      return this.send<T>(method, path, { form: formFields(json), ...bearer });
    return this.send<T>(method, path, { ...(json === undefined ? {} : { json }), ...bearer });
  }

  /** Called with every answer's head, before its body: subclasses look at headers or the connection. */
  protected onResponse(_response: IncomingMessage): void {
    // Nothing by default.
  }

  close(): void {
    this.agent.destroy();
  }
}

function formFields(body: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body as object)) if (value !== undefined) fields[key] = String(value);
  return fields;
}
