// electron-builder.yml, checked without the real Electron zip (which cannot be downloaded here): package
// `--linux dir` with `electronDist` pointing at a FAKE Electron folder (a shell script named `electron`), then
// look inside the result the way the packaged app would be loaded: asar contents, unpacked native addons, main.
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { buildElectron } from '../../../build/build-electron.ts';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as {
  listPackage(file: string): string[];
  extractFile(archive: string, file: string): Buffer;
};
const yaml = require('js-yaml') as { load(text: string): unknown };

const tmp = mkdtempSync(join(tmpdir(), 'dck-builder-'));
const FAKE_ELECTRON_DIST = join(tmp, 'FAKE-electron-dist-stand-in');
const OUT = join(tmp, 'out');

/** Strings only the demo environment's code holds (its embedded issuer, the virtual card, the test PKI). */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const [DISABLE, ENABLE] = [0x30, 0x31];

const DEMO_MARKERS = ['Demo derived credential issuer', 'startThreadedVirtualCard', 'createTestPki', 'startIssuer'];

beforeAll(async () => {
  // With the demo bundle, as `npm start -- --demo` leaves it: the package must still not contain it.
  await buildElectron({ demo: true });
  mkdirSync(FAKE_ELECTRON_DIST, { recursive: true });
  // The stand-in carries a fuse wire laid out as Electron's (sentinel, version 1, length, one byte per fuse) with
  // Electron's defaults, so the afterPack hook flips it as it would the real binary.
  const defaults = [ENABLE, DISABLE, ENABLE, ENABLE, DISABLE, DISABLE, DISABLE, ENABLE];
  writeFileSync(
    join(FAKE_ELECTRON_DIST, 'electron'),
    Buffer.concat([
      Buffer.from('#!/bin/sh\necho "FAKE Electron stand-in used by the packaging test"\nexit 1\n# '),
      Buffer.from(FUSE_SENTINEL),
      Buffer.from([1, defaults.length, ...defaults]),
      Buffer.from('\n'),
    ]),
  );
  chmodSync(join(FAKE_ELECTRON_DIST, 'electron'), 0o755);
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [
        'node_modules/electron-builder/cli.js',
        '--linux',
        'dir',
        '--config',
        'electron-builder.yml',
        `-c.electronDist=${FAKE_ELECTRON_DIST}`,
        '-c.electronVersion=41.7.1',
        '-c.npmRebuild=false',
        `-c.directories.output=${OUT}`,
      ],
      { timeout: 240_000, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
      (error, _stdout, stderr) =>
        error === null ? resolve() : reject(new Error(`electron-builder failed: ${stderr.slice(-2000)}`)),
    );
  });
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('electron-builder.yml', () => {
  it('declares Windows NSIS and Linux AppImage + deb targets and unpacks the native addons', () => {
    const config = yaml.load(readFileSync('electron-builder.yml', 'utf8')) as {
      win: { target: { target: string }[] };
      linux: { target: string[] };
      asarUnpack: string[];
      extraMetadata: { main: string };
    };
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    for (const addon of ['smartcard', 'pkcs11js', 'better-sqlite3'])
      expect(config.asarUnpack).toContain(`node_modules/${addon}/**`);
    expect(config.extraMetadata.main).toBe('out/electron/main.mjs');
  });

  it('installs per machine on Windows at a fixed path, and ships the kiosk unit with the deb', () => {
    const config = yaml.load(readFileSync('electron-builder.yml', 'utf8')) as {
      nsis: { perMachine: boolean; oneClick: boolean; allowToChangeInstallationDirectory: boolean };
      deb: { depends: string[]; fpm: string[] };
      afterPack: string;
      extraResources: { from: string; to: string }[];
    };
    expect(config.nsis).toMatchObject({ perMachine: true, oneClick: false, allowToChangeInstallationDirectory: false });
    expect(config.deb.depends).toEqual(expect.arrayContaining(['pcscd', 'cage']));
    expect(config.deb.fpm).toContain(
      'build/kiosk/linux/derived-credential-kiosk.service=/usr/lib/systemd/system/derived-credential-kiosk.service',
    );
    expect(existsSync('build/kiosk/linux/derived-credential-kiosk.service')).toBe(true);
    expect(config.extraResources).toContainEqual(expect.objectContaining({ from: 'build/kiosk', to: 'kiosk' }));
    expect(config.afterPack).toBe('./build/after-pack.mjs');
  });

  it('flips the fuses in the packaged binary (afterPack): no RunAsNode, NODE_OPTIONS, --inspect; asar only, checked', async () => {
    const wire = await getCurrentFuseWire(join(OUT, 'linux-unpacked', 'derived-credential-kiosk'));
    expect({
      runAsNode: wire[FuseV1Options.RunAsNode],
      cookieEncryption: wire[FuseV1Options.EnableCookieEncryption],
      nodeOptions: wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable],
      inspect: wire[FuseV1Options.EnableNodeCliInspectArguments],
      asarIntegrity: wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation],
      onlyFromAsar: wire[FuseV1Options.OnlyLoadAppFromAsar],
    }).toEqual({
      runAsNode: DISABLE,
      cookieEncryption: ENABLE,
      nodeOptions: DISABLE,
      inspect: DISABLE,
      asarIntegrity: ENABLE,
      onlyFromAsar: ENABLE,
    });
    // The stand-in itself keeps Electron's defaults: the hook changed the packaged copy.
    expect((await getCurrentFuseWire(join(FAKE_ELECTRON_DIST, 'electron')))[FuseV1Options.RunAsNode]).toBe(ENABLE);
  });

  it('packages the kiosk recipes as resources', () => {
    const resources = join(OUT, 'linux-unpacked', 'resources', 'kiosk');
    expect(existsSync(join(resources, 'linux', 'derived-credential-kiosk.service'))).toBe(true);
    expect(existsSync(join(resources, 'windows', 'shell-launcher.xml'))).toBe(true);
    expect(existsSync(join(resources, 'README.md'))).toBe(false);
  });

  it('packages (with the fake Electron) an app whose asar holds the bundles and whose native addons sit outside it', () => {
    const app = join(OUT, 'linux-unpacked');
    expect(existsSync(join(app, 'derived-credential-kiosk'))).toBe(true); // the stand-in, renamed to the app
    const archive = join(app, 'resources', 'app.asar');
    const files = asar.listPackage(archive).map((file) => file.replace(/\\/g, '/'));
    expect(files).toContain('/out/electron/main.mjs');
    expect(files).toContain('/out/electron/preload.cjs');
    expect(files).not.toContain('/out/electron/demo.mjs');
    expect(files).not.toContain('/out/electron/card-thread-entry.mjs');
    expect(files.some((file) => file.startsWith('/main/') || file.endsWith('.test.ts'))).toBe(false);
    const packaged = JSON.parse(asar.extractFile(archive, 'package.json').toString()) as { main: string };
    expect(packaged.main).toBe('out/electron/main.mjs');
    for (const addon of [
      'smartcard/build/Release/smartcard_napi.node',
      'pkcs11js/build/Release/pkcs11.node',
      'better-sqlite3/build/Release/better_sqlite3.node',
    ]) {
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
    // The demo card's thread is bundled beside demo.mjs, where threaded-virtual-card.ts looks for it, without tsx.
    const cardThread = readFileSync(join('out', 'electron', 'card-thread-entry.mjs'), 'utf8');
    expect(cardThread).toContain('PivApplet');
    expect(cardThread).not.toContain('tsx/esm/api');
  });
});
