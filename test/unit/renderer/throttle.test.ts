import { describe, expect, it } from 'vitest';
import { createThrottle } from '../../../renderer/logic/throttle.ts';

describe('activity throttle', () => {
  it('reports the first input at once and then at most once per interval', () => {
    let clock = 1000;
    let calls = 0;
    const report = createThrottle(
      () => (calls += 1),
      2000,
      () => clock,
    );
    expect(report()).toBe(true);
    clock += 500;
    expect(report()).toBe(false);
    clock += 1499;
    expect(report()).toBe(false);
    clock += 1;
    expect(report()).toBe(true);
    expect(calls).toBe(2);
  });
});
