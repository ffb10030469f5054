import { afterEach, describe, expect, it, vi } from 'vitest';
import { run, summary } from '../../../cli/commands/kiosk.ts';

describe('dck kiosk: command line', () => {
  afterEach(() => vi.restoreAllMocks());

  it('has a summary and prints help with exit 0', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(summary).toMatch(/kiosk/);
    expect(await run(['--help'])).toBe(0);
    expect(String(out.mock.calls[0]?.[0])).toContain('--browser');
  });

  it.each([
    [[]],
    [['--electron']],
    [['--browser', '--port']],
    [['--browser', '--port', '0']],
    [['--browser', '--port', '65536']],
    [['--browser', '--port', '12ab']],
    [['--browser', '--port', '-1']],
    [['--browser', '--idle', '1']],
    [['--browser', '--idle', '1e3']],
    [['--browser', '--profile', 'root']],
    [['--browser', '--profile', '__proto__']],
    [['--browser', '--virtual-card', 'sometimes']],
    [['--browser', '--data-dir']],
    [['--browser', `--${'x'.repeat(5000)}`]],
  ])('refuses %j with exit 2 and never starts anything', async (args) => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await run(args)).toBe(2);
    const message = String(err.mock.calls[0]?.[0]);
    expect(message).toMatch(/^dck kiosk: /);
    expect(message.length).toBeLessThan(2000); // a hostile argument is not echoed in full
  });
});
