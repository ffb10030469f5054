// HTTP(S) GET/POST for revocation sources with a time limit and a size limit: a slow or huge CRL/OCSP answer
// must not hold a PKI-AUTH request or the issuer's memory hostage.
export interface BoundedFetchOptions {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly method?: 'GET' | 'POST';
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly accept?: string;
}

export type BoundedFetchResult = { ok: true; body: Uint8Array } | { ok: false; message: string };

export async function boundedFetch(url: string, options: BoundedFetchOptions): Promise<BoundedFetchResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, message: `"${url.slice(0, 100)}" is not a URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, message: `${parsed.protocol} URLs are not fetched (http and https only)` };
  }
  const headers: Record<string, string> = {};
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  if (options.accept !== undefined) headers.accept = options.accept;
  try {
    const response = await fetch(parsed, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : Buffer.from(options.body),
      redirect: 'error', // a revocation source that redirects elsewhere is not the configured source
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.ok) return { ok: false, message: `${parsed.origin} answered HTTP ${response.status}` };
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > options.maxBytes) {
      await response.body?.cancel();
      return {
        ok: false,
        message: `${parsed.origin} sent ${declared} bytes, more than the ${options.maxBytes} allowed`,
      };
    }
    return await readLimited(response, options.maxBytes, parsed.origin);
  } catch (error) {
    const reason =
      error instanceof Error
        ? error.name === 'TimeoutError'
          ? `no answer within ${options.timeoutMs} ms`
          : error.message
        : 'unknown error';
    return { ok: false, message: `${parsed.origin} unreachable: ${reason.slice(0, 160)}` };
  }
}

async function readLimited(response: Response, maxBytes: number, origin: string): Promise<BoundedFetchResult> {
  if (response.body === null) return { ok: true, body: new Uint8Array() };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return { ok: false, message: `${origin} sent more than the ${maxBytes} bytes allowed` };
    }
    chunks.push(value);
  }
  return { ok: true, body: new Uint8Array(Buffer.concat(chunks)) };
}
