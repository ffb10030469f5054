// scripts/node-modules-current.js decides whether scripts/setup.sh runs `npm ci`: a wrong "current" leaves a
// newcomer with a broken install, a wrong "stale" makes every `npm run demo` reinstall.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '../../..');
const checker = join(repoRoot, 'scripts/node-modules-current.js');
const NATIVE_ADDONS = [
  'node_modules/smartcard/build/Release/smartcard_napi.node',
  'node_modules/pkcs11js/build/Release/pkcs11.node',
  'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
];

type Packages = Record<string, { version: string; optional?: boolean }>;
const dirs: string[] = [];

function checkout(wanted: Packages, installed: Packages | null, addons = NATIVE_ADDONS): string {
  const root = mkdtempSync(join(tmpdir(), 'dck-node-modules-'));
  dirs.push(root);
  writeFileSync(
    join(root, 'package-lock.json'),
    JSON.stringify({ lockfileVersion: 3, packages: { '': {}, ...wanted } }),
  );
  if (installed !== null) {
    mkdirSync(join(root, 'node_modules'));
    writeFileSync(
      join(root, 'node_modules/.package-lock.json'),
      JSON.stringify({ lockfileVersion: 3, packages: installed }),
    );
  }
  for (const addon of addons) {
    mkdirSync(join(root, addon, '..'), { recursive: true });
    writeFileSync(join(root, addon), '');
  }
  return root;
}

function check(root: string): { status: number | null; reason: string } {
  const result = spawnSync(process.execPath, [checker, root], { encoding: 'utf8' });
  return { status: result.status, reason: result.stderr.trim() };
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/node-modules-current.js', () => {
  const lock: Packages = {
    'node_modules/react': { version: '19.3.1' },
    'node_modules/@esbuild/darwin-arm64': { version: '0.28.2', optional: true },
  };

  it("accepts node_modules that npm installed from this lockfile (other platforms' optional packages absent)", () => {
    expect(check(checkout(lock, { 'node_modules/react': { version: '19.3.1' } }))).toEqual({ status: 0, reason: '' });
  });

  it('says node_modules is missing', () => {
    expect(check(checkout(lock, null))).toEqual({
      status: 1,
      reason: 'node_modules is missing (or was not installed by npm)',
    });
  });

  it('names a package at another version or not installed', () => {
    expect(check(checkout(lock, { 'node_modules/react': { version: '19.2.0' } }))).toEqual({
      status: 1,
      reason: 'node_modules/react is 19.2.0, the lockfile wants 19.3.1',
    });
    expect(
      check(
        checkout(
          { ...lock, 'node_modules/ws': { version: '8.23.0' } },
          { 'node_modules/react': { version: '19.3.1' } },
        ),
      ),
    ).toEqual({
      status: 1,
      reason: 'node_modules/ws is not installed',
    });
  });

  it('names a native addon whose build failed', () => {
    const root = checkout(lock, { 'node_modules/react': { version: '19.3.1' } }, NATIVE_ADDONS.slice(1));
    expect(check(root)).toEqual({ status: 1, reason: `${NATIVE_ADDONS[0] ?? ''} was not built` });
  });

  it('reports an unreadable lockfile instead of throwing', () => {
    const root = checkout(lock, {});
    writeFileSync(join(root, 'node_modules/.package-lock.json'), '{"packages": null');
    const result = check(root);
    expect(result.status).toBe(1);
    expect(result.reason).toMatch(/^cannot read the lockfiles: /);
  });
});

describe('scripts/setup.sh', () => {
  it('changes nothing and prints nothing on a checkout that is set up', () => {
    const output = execFileSync(join(repoRoot, 'scripts/setup.sh'), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(output).toBe('');
  });

  it('prints the one apt-get line, with every package the repository needs', () => {
    const line = execFileSync(join(repoRoot, 'scripts/setup.sh'), ['--print'], { encoding: 'utf8' }).trim();
    expect(line).toMatch(/^apt-get install -y [a-z0-9 .+-]+$/);
    for (const needed of ['pcscd', 'libpcsclite-dev', 'vsmartcard-vpcd', 'chromium', 'systemd'])
      expect(line.split(' ')).toContain(needed);
  });
});
