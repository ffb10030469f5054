// The live queue's event stream as main reads it: frames split across chunks, comments skipped, other events
// ignored, and hostile input (not JSON, off-contract, an endless frame) refused instead of shown.
import { describe, expect, it } from 'vitest';
import { MAX_QUEUE_FRAME_BYTES, queueOf, SseFrames } from '../../../../main/console/queue-stream.ts';

const entry = {
  enrollmentId: 'A'.repeat(22),
  personName: 'Pat Person',
  kioskId: 'kiosk-1',
  step: 'awaiting-affirmation',
  ageSeconds: 65,
  device: { platform: null, model: null },
  otpExpired: false,
  keyFingerprint: 'A1B2-C3D4-E5F6-0718',
  affirmed: false,
};
const queueText = JSON.stringify({ enrollments: [entry] });

describe('queue event stream', () => {
  it('reads a queue event split over chunks, CRLF or LF, and skips keep-alive comments and other events', () => {
    const frames = new SseFrames(MAX_QUEUE_FRAME_BYTES);
    expect(frames.push(': keep-alive\n\nevent: other\ndata: {}\n\nevent: que')).toEqual([]);
    const got = frames.push(`ue\r\ndata: ${queueText.slice(0, 10)}`);
    expect(got).toEqual([]);
    const [frame, ...rest] = frames.push(`${queueText.slice(10)}\r\n\r\n`);
    expect(rest).toEqual([]);
    expect(frame).toEqual({ event: 'queue', data: queueText });
    expect(frame === undefined ? null : queueOf(frame)).toEqual({ enrollments: [entry] });
  });

  it.each([
    ['not JSON', '{"enrollments": ['],
    ['off contract: an extra field', JSON.stringify({ enrollments: [{ ...entry, token: 'x' }] })],
    ['off contract: a negative age', JSON.stringify({ enrollments: [{ ...entry, ageSeconds: -1 }] })],
    ['off contract: a huge name', JSON.stringify({ enrollments: [{ ...entry, personName: 'x'.repeat(501) }] })],
    ['a bare array', JSON.stringify([entry])],
  ])('refuses a queue event that is %s', (_name, data) => {
    expect(queueOf({ event: 'queue', data })).toBeNull();
  });

  it('refuses a frame that never ends instead of buffering it without bound', () => {
    const frames = new SseFrames(1024);
    expect(() => frames.push(`event: queue\ndata: ${'x'.repeat(2048)}`)).toThrow(RangeError);
  });
});
