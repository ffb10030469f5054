// The SHA-256 of a request's body bytes as they arrived, for the kiosk's signed calls (kiosk-request.ts): the
// signature covers the bytes the kiosk sent, not whatever JSON.parse made of them. The server's JSON body parser
// (server.ts) records it; a request without a body has the digest of no bytes.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const digests = new WeakMap<IncomingMessage, string>();

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64url');
const EMPTY_BODY_DIGEST = sha256(new Uint8Array(0));

export function rememberBodyDigest(request: IncomingMessage, body: Uint8Array): void {
  digests.set(request, sha256(body));
}

export function bodyDigestOf(request: IncomingMessage): string {
  return digests.get(request) ?? EMPTY_BODY_DIGEST;
}
