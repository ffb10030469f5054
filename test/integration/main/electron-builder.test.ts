// electron-builder.yml, checked without the real Electron zip (which cannot be downloaded here): package
// `--linux dir` with `electronDist` pointing at a FAKE Electron folder (a shell script named `electron`), then
// look inside the result the way the packaged app would be loaded: asar contents, unpacked native addons, main.
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildElectron } from '../../../build/build-electron.ts';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(file: string): string[]; extractFile(archive: string, file: string): Buffer };
const yaml = require('js-yaml') as { load(text: string): unknown };

const tmp = mkdtempSync(join(tmpdir(), 'dck-builder-'));
const FAKE_ELECTRON_DIST = join(tmp, 'FAKE-electron-dist-stand-in');
const OUT = join(tmp, 'out');

/** Strings only the demo environment's code holds (its embedded issuer, the virtual card, the test PKI). */
const DEMO_MARKERS = ['Demo derived credential issuer', 'startVirtualCard', 'createTestPki', 'startIssuer'];

beforeAll(async () => {
  // With the demo bundle, as `npm start -- --demo` leaves it: the package must still not contain it.
  await buildElectron({ demo: true });
  mkdirSync(FAKE_ELECTRON_DIST, { recursive: true });
  writeFileSync(join(FAKE_ELECTRON_DIST, 'electron'), '#!/bin/sh\necho "FAKE Electron stand-in used by the packaging test"\nexit 1\n');
  chmodSync(join(FAKE_ELECTRON_DIST, 'electron'), 0o755);
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [
      'node_modules/electron-builder/cli.js', '--linux', 'dir', '--config', 'electron-builder.yml',
      `-c.electronDist=${FAKE_ELECTRON_DIST}`, '-c.electronVersion=41.7.1', '-c.npmRebuild=false', `-c.directories.output=${OUT}`,
    ], { timeout: 240_000, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } }, (error, _stdout, stderr) =>
      error === null ? resolve() : reject(new Error(`electron-builder failed: ${stderr.slice(-2000)}`)));
  });
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('electron-builder.yml', () => {
  it('declares Windows NSIS and Linux AppImage + deb targets and unpacks the native addons', () => {
    const config = yaml.load(readFileSync('electron-builder.yml', 'utf8')) as {
      win: { target: { target: string }[] }; linux: { target: string[] }; asarUnpack: string[]; extraMetadata: { main: string };
    };
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    for (const addon of ['smartcard', 'pkcs11js', 'better-sqlite3']) expect(config.asarUnpack).toContain(`node_modules/${addon}/**`);
    expect(config.extraMetadata.main).toBe('out/electron/main.mjs');
  });

  it('packages (with the fake Electron) an app whose asar holds the bundles and whose native addons sit outside it', () => {
    const app = join(OUT, 'linux-unpacked');
    expect(existsSync(join(app, 'derived-credential-kiosk'))).toBe(true); // the stand-in, renamed to the app
    const archive = join(app, 'resources', 'app.asar');
    const files = asar.listPackage(archive).map((file) => file.replace(/\\/g, '/'));
    expect(files).toContain('/out/electron/main.mjs');
    expect(files).toContain('/out/electron/preload.cjs');
    expect(files).not.toContain('/out/electron/demo.mjs');
    expect(files.some((file) => file.startsWith('/main/') || file.endsWith('.test.ts'))).toBe(false);
    const packaged = JSON.parse(asar.extractFile(archive, 'package.json').toString()) as { main: string };
    expect(packaged.main).toBe('out/electron/main.mjs');
    for (const addon of ['smartcard/build/Release/smartcard_napi.node', 'pkcs11js/build/Release/pkcs11.node', 'better-sqlite3/build/Release/better_sqlite3.node']) {
      expect(existsSync(join(app, 'resources', 'app.asar.unpacked', 'node_modules', addon))).toBe(true);
    }
  });

  it('ships a main bundle without the demo environment (demo issuer, virtual card), which lives in demo.mjs', () => {
    const main = readFileSync(join('out', 'electron', 'main.mjs'), 'utf8');
    const demo = readFileSync(join('out', 'electron', 'demo.mjs'), 'utf8');
    for (const marker of DEMO_MARKERS) {
      expect(demo, marker).toContain(marker);
      expect(main, marker).not.toContain(marker);
    }
  });
});
