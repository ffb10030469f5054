// The pieces of `dck issuer --workers N` that decide behaviour without processes: rate-limit shares, the restart
// policy, the IPC message parsers (hostile input), and the enrollment wake-ups with relay and periodic re-check.
import { describe, expect, it } from 'vitest';
import { EnrollmentEvents } from '../../../issuer/enrollment-events.ts';
import { MAX_RELAY_BATCH, parsePrimaryMessage, parseWorkerMessage } from '../../../issuer/cluster/messages.ts';
import { RelayBatch } from '../../../issuer/cluster/relay-batch.ts';
import { rateLimitsForWorker, shareOfLimit, workerCountForLimits } from '../../../issuer/cluster/rate-limit-share.ts';
import { RestartPolicy } from '../../../issuer/cluster/restart-policy.ts';

/** Every rate limit generous, with the ones a case is about overridden. */
const limits = (overrides: Partial<Parameters<typeof rateLimitsForWorker>[0]>) => ({
  codeGuessesPerMinute: 100000,
  requestsPerMinute: 100000,
  unauthenticatedPerAddressPerMinute: 100000,
  unauthenticatedServicePerMinute: 100000,
  ...overrides,
});

describe('rate-limit shares', () => {
  it('add up to exactly the configured limit, each at least 1', () => {
    for (const [limit, workers] of [
      [30, 8],
      [4, 2],
      [5, 2],
      [7, 7],
      [100000, 3],
      [31, 4],
    ] as const) {
      const shares = Array.from({ length: workers }, (_, slot) => shareOfLimit(limit, slot, workers));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(limit);
      expect(Math.min(...shares)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
    expect(
      rateLimitsForWorker(
        limits({ codeGuessesPerMinute: 5, requestsPerMinute: 10, unauthenticatedServicePerMinute: 601 }),
        1,
        2,
      ),
    ).toEqual(
      limits({
        codeGuessesPerMinute: 2,
        requestsPerMinute: 5,
        unauthenticatedPerAddressPerMinute: 50000,
        unauthenticatedServicePerMinute: 300,
      }),
    );
  });

  it('caps the worker count when a limit is smaller than it, naming the limit', () => {
    expect(workerCountForLimits(8, limits({ codeGuessesPerMinute: 30 }))).toEqual({ workers: 8, cappedBy: null });
    expect(workerCountForLimits(8, limits({ codeGuessesPerMinute: 3 }))).toEqual({
      workers: 3,
      cappedBy: 'codeGuessesPerMinute',
    });
    expect(workerCountForLimits(4, limits({ codeGuessesPerMinute: 30, requestsPerMinute: 2 }))).toEqual({
      workers: 2,
      cappedBy: 'requestsPerMinute',
    });
    expect(workerCountForLimits(4, limits({ unauthenticatedServicePerMinute: 3 }))).toEqual({
      workers: 3,
      cappedBy: 'unauthenticatedServicePerMinute',
    });
  });
});

describe('restart policy', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1000, maxExitsInWindow: 4, windowMs: 10_000 };

  it('backs off per slot, doubling, up to the maximum', () => {
    const policy = new RestartPolicy({ ...options, maxExitsInWindow: 100 });
    expect(policy.onUnexpectedExit(0, 0)).toEqual({ action: 'restart', delayMs: 100 });
    expect(policy.onUnexpectedExit(1, 1)).toEqual({ action: 'restart', delayMs: 100 });
    expect(policy.onUnexpectedExit(0, 2)).toEqual({ action: 'restart', delayMs: 200 });
    for (let i = 0; i < 5; i += 1) policy.onUnexpectedExit(0, 3 + i);
    expect(policy.onUnexpectedExit(0, 9)).toEqual({ action: 'restart', delayMs: 1000 });
  });

  it('gives up when workers die in a loop, and forgets deaths older than the window', () => {
    const policy = new RestartPolicy(options);
    for (let i = 0; i < 3; i += 1) expect(policy.onUnexpectedExit(i % 2, i * 1000).action).toBe('restart');
    expect(policy.onUnexpectedExit(0, 3000)).toEqual({ action: 'give-up', exitsInWindow: 4 });
    const calm = new RestartPolicy(options);
    for (let i = 0; i < 10; i += 1)
      expect(calm.onUnexpectedExit(0, i * 20_000)).toEqual({ action: 'restart', delayMs: 100 });
  });
});

describe('cluster IPC messages', () => {
  it('accepts the messages the primary and workers send', () => {
    expect(parseWorkerMessage({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseWorkerMessage({ type: 'listening', url: 'https://127.0.0.1:8443', port: 8443 })).toEqual({
      type: 'listening',
      url: 'https://127.0.0.1:8443',
      port: 8443,
    });
    expect(parseWorkerMessage({ type: 'enrollments-changed', enrollmentIds: ['AbC-_1', 'x'] })).toEqual({
      type: 'enrollments-changed',
      enrollmentIds: ['AbC-_1', 'x'],
    });
    expect(parsePrimaryMessage({ type: 'enrollments-changed', enrollmentIds: ['AbC-_1'] })).toEqual({
      type: 'enrollments-changed',
      enrollmentIds: ['AbC-_1'],
    });
    expect(parseWorkerMessage({ type: 'start-failed', code: 'config-invalid', message: 'x' })).toEqual({
      type: 'start-failed',
      code: 'config-invalid',
      message: 'x',
    });
    expect(parsePrimaryMessage({ type: 'shutdown' })).toEqual({ type: 'shutdown' });
    expect(
      parsePrimaryMessage({
        type: 'start',
        options: { config: {}, dataDir: '/d', slot: 1, workers: 2, port: 0, debugWorkerHeader: true },
      }),
    ).toEqual({
      type: 'start',
      options: { config: {}, dataDir: '/d', slot: 1, workers: 2, port: 0, debugWorkerHeader: true },
    });
  });

  it('drops hostile or malformed messages whole', () => {
    const hostile: unknown[] = [
      null,
      42,
      'shutdown',
      [],
      { type: 'nope' },
      { type: ['ready'] },
      { type: 'enrollments-changed' },
      { type: 'enrollments-changed', enrollmentIds: [] },
      { type: 'enrollments-changed', enrollmentIds: [''] },
      { type: 'enrollments-changed', enrollmentIds: 'abc' },
      { type: 'enrollments-changed', enrollmentIds: ['ok', '../../etc'] },
      { type: 'enrollments-changed', enrollmentIds: ['a'.repeat(65)] },
      { type: 'enrollments-changed', enrollmentIds: [{ toString: () => 'x' }] },
      { type: 'enrollments-changed', enrollmentIds: Array.from({ length: MAX_RELAY_BATCH + 1 }, () => 'a') },
      { type: 'enrollment-changed', enrollmentId: 'old-shape' },
      { type: 'listening', url: 'https://x', port: 0 },
      { type: 'listening', url: 'https://x', port: 70000 },
      { type: 'listening', url: 'x'.repeat(5000), port: 1 },
      { type: 'listening', url: 5, port: 1 },
      { type: 'start-failed', message: 'x'.repeat(5000) },
    ];
    for (const message of hostile) expect(parseWorkerMessage(message)).toBeNull();
    const hostileToWorker: unknown[] = [
      { type: 'start' },
      { type: 'start', options: null },
      { type: 'start', options: { config: [], dataDir: '/d', slot: 0, workers: 1 } },
      { type: 'start', options: { config: {}, dataDir: '/d', slot: 2, workers: 2 } },
      { type: 'start', options: { config: {}, dataDir: '/d', slot: -1, workers: 2 } },
      { type: 'start', options: { config: {}, dataDir: '/d', slot: 0.5, workers: 2 } },
      { type: 'start', options: { config: {}, dataDir: 'x'.repeat(5000), slot: 0, workers: 1 } },
      { type: 'start', options: { config: {}, dataDir: '/d', slot: 0, workers: 1, port: 65536 } },
      { type: 'enrollments-changed', enrollmentIds: ['a b'] },
    ];
    for (const message of hostileToWorker) expect(parsePrimaryMessage(message)).toBeNull();
    // An unknown failure code is reported as a plain start failure, never trusted as something else.
    expect(parseWorkerMessage({ type: 'start-failed', code: 'evil', message: 'm' })).toEqual({
      type: 'start-failed',
      code: 'start-failed',
      message: 'm',
    });
  });
});

describe('enrollment wake-ups across processes', () => {
  it('batches relayed changes: one message per delay, each id once, a full batch at once', async () => {
    const batches: string[][] = [];
    const batch = new RelayBatch(30, (ids) => batches.push(ids));
    batch.add('a');
    batch.add('b');
    batch.add('a');
    expect(batches).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(batches).toEqual([['a', 'b']]);
    for (let i = 0; i < MAX_RELAY_BATCH; i += 1) batch.add(`id${i}`);
    expect(batches).toHaveLength(2);
    expect(batches[1]).toHaveLength(MAX_RELAY_BATCH);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(batches).toHaveLength(2);
  });

  it('relays local changes, and does not relay changes that came from elsewhere', async () => {
    const relayed: string[] = [];
    const events = new EnrollmentEvents({ relay: (id) => relayed.push(id) });
    const woken = events.nextChange('e1', 10_000);
    events.wake('e1');
    await woken;
    events.notify('e2');
    expect(relayed).toEqual(['e2']);
  });

  it('with recheckMs, a waiter looks again even when no message comes (a lost message only delays)', async () => {
    const events = new EnrollmentEvents({ recheckMs: 20 });
    const started = performance.now();
    await events.nextChange('lost', 60_000);
    expect(performance.now() - started).toBeLessThan(30_000);
    let calls = 0;
    const unsubscribe = events.subscribe('lost', () => {
      calls += 1;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    unsubscribe();
    expect(calls).toBeGreaterThanOrEqual(2);
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toBe(after);
  });

  it('without recheckMs (one process), a waiter sleeps until a change or its timeout', async () => {
    const events = new EnrollmentEvents();
    let done = false;
    const waiting = events.nextChange('x', 60_000).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    events.notify('x');
    await waiting;
    expect(done).toBe(true);
  });
});
