import { describe, expect, it } from 'vitest';
import { ok } from '../../../contracts/kiosk-api.ts';
import type { KioskHandlers } from '../../../contracts/kiosk-api.ts';
import { resolveInside } from '../../../main/browser-host/static-files.ts';
import { invokeKiosk } from '../../../main/transport/invoke.ts';
import { decodeCallFrame, encodeCallFrame, MAX_CALL_FRAME_BYTES } from '../../../main/transport/wire.ts';

const copy = (bytes: Uint8Array): Uint8Array => Uint8Array.from(bytes);
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('browser host wire frames', () => {
  it('round-trips a call with PIN bytes outside the JSON header', () => {
    const frame = encodeCallFrame(5, 'submitPin', [ascii('123456'), { confirmLastTry: false }]);
    const headerLength = new DataView(frame.buffer).getUint32(0);
    expect(new TextDecoder().decode(frame.subarray(4, 4 + headerLength))).not.toContain('123456');
    const decoded = decodeCallFrame(frame, copy);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.frame.id).toBe(5);
    expect(decoded.frame.call).toBe('submitPin');
    expect(decoded.frame.args[0]).toEqual(ascii('123456'));
    expect(decoded.frame.args[1]).toEqual({ confirmLastTry: false });
    frame.fill(0);
    expect(decoded.frame.args[0]).toEqual(ascii('123456')); // a copy, not a view of the wiped frame
  });

  const header = (json: string, tail: number[] = []): Uint8Array => {
    const body = new TextEncoder().encode(json);
    const frame = new Uint8Array(4 + body.length + tail.length);
    new DataView(frame.buffer).setUint32(0, body.length);
    frame.set(body, 4);
    frame.set(tail, 4 + body.length);
    return frame;
  };

  it.each([
    ['empty', new Uint8Array(0)],
    ['short', new Uint8Array(3)],
    ['header longer than frame', Uint8Array.from([0, 0, 0, 50, 1, 2])],
    ['huge header length', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x7b, 0x7d])],
    ['too large', new Uint8Array(MAX_CALL_FRAME_BYTES + 1)],
    ['not JSON', header('{nope')],
    ['invalid UTF-8', Uint8Array.from([0, 0, 0, 2, 0xc3, 0x28])],
    ['array header', header('[1,2]')],
    ['null header', header('null')],
    ['missing id', header('{"call":"cancel","args":[]}')],
    ['float id', header('{"id":1.5,"call":"cancel","args":[]}')],
    ['args not array', header('{"id":1,"call":"cancel","args":{}}')],
    ['long call name', header(`{"id":1,"call":"${'x'.repeat(65)}","args":[]}`)],
    ['byte slot past the end', header('{"id":1,"call":"submitPin","args":[{"$bytes":10}]}', [1, 2])],
    ['negative byte slot', header('{"id":1,"call":"submitPin","args":[{"$bytes":-1}]}')],
    ['trailing bytes', header('{"id":1,"call":"cancel","args":[]}', [0x31])],
    [
      'too many byte slots',
      header('{"id":1,"call":"x","args":[{"$bytes":0},{"$bytes":0},{"$bytes":0},{"$bytes":0},{"$bytes":0}]}'),
    ],
  ])('refuses a hostile frame: %s', (_label, frame) => {
    expect(decodeCallFrame(frame, copy).ok).toBe(false);
  });
});

describe('invokeKiosk', () => {
  const calls: unknown[][] = [];
  const handler = (...args: unknown[]) => {
    calls.push(args);
    return Promise.resolve(ok(undefined));
  };
  const handlers = {
    submitPin: handler,
    submitUserCode: handler,
    renewEnrollment: handler,
    cancel: handler,
    stillHere: handler,
    reportActivity: handler,
    useVirtualCard: handler,
    getConfig: () => Promise.reject(new Error('broken handler')),
  } as unknown as KioskHandlers;
  const noLog = () => undefined;

  it('refuses unknown calls and bad arguments before any handler runs', async () => {
    calls.length = 0;
    expect(await invokeKiosk(handlers, 'constructor', [], noLog)).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' },
    });
    expect(await invokeKiosk(handlers, 'onView', [], noLog)).toMatchObject({ ok: false });
    expect(await invokeKiosk(handlers, 'cancel', 'x', noLog)).toMatchObject({ ok: false });
    expect(await invokeKiosk(handlers, 'submitPin', ['123456', { confirmLastTry: false }], noLog)).toMatchObject({
      ok: false,
    });
    expect(await invokeKiosk(handlers, 'submitUserCode', ['x'.repeat(200)], noLog)).toMatchObject({ ok: false });
    expect(calls).toEqual([]);
    expect(await invokeKiosk(handlers, 'cancel', [], noLog)).toEqual({ ok: true, value: undefined });
    expect(calls).toEqual([[]]);
  });

  it('turns a throwing handler into an internal error without its message', async () => {
    const logged: string[] = [];
    const result = await invokeKiosk(handlers, 'getConfig', [], (name) => logged.push(name));
    expect(result).toEqual({ ok: false, error: { code: 'internal' } });
    expect(logged).toEqual(['getConfig']);
  });
});

describe('static file paths', () => {
  it.each([
    ['/', '/srv/r/index.html'],
    ['/assets/index-1.js', '/srv/r/assets/index-1.js'],
    ['/assets/a%20b.css', '/srv/r/assets/a b.css'],
  ])('%s → %s', (path, file) => expect(resolveInside('/srv/r', path)).toBe(file));

  it.each([
    '/../etc/passwd.html',
    '/%2e%2e/secret.js',
    '/assets/..%2f..%2fx.js',
    '/a%00.js',
    '/%E0%A4%A.js',
    '/x.sqlite',
    '/a\\..\\b.js',
  ])('refuses %s', (path) => expect(resolveInside('/srv/r', path)).toBeNull());
});
