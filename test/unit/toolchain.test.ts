import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

describe('repository toolchain', () => {
  it('declares the dck command that the README documents', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin['dck']).toBe('bin/dck.js');
  });
});
