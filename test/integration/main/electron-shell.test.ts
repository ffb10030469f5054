// The Electron shell cannot run here (no Electron binary), so its security is checked statically: electronegativity
// over main/electron (failing on any HIGH or MEDIUM finding — the tool itself exits 0 with findings), a positive
// control proving the check can fail, and the esbuild bundles the shell actually loads.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildElectron } from '../../../build/build-electron.ts';

const ELECTRON_VERSION = '41.7.1';
const tmp = mkdtempSync(join(tmpdir(), 'dck-eng-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Finding {
  readonly check: string;
  readonly severity: string;
  readonly confidence: string;
  readonly file: string;
  readonly location: string;
}

/** Runs electronegativity and parses its CSV report (the exit code says nothing about findings). */
function electronegativity(input: string): Promise<Finding[]> {
  const report = join(tmp, `report-${Math.random().toString(36).slice(2)}.csv`);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        'node_modules/@doyensec/electronegativity/dist/index.js',
        '-i',
        input,
        '-r',
        '-v',
        'false',
        '-e',
        ELECTRON_VERSION,
        '-o',
        report,
      ],
      { timeout: 120_000 },
      (error) => {
        if (error !== null) return reject(new Error(`electronegativity failed: ${error.message}`));
        const lines = readFileSync(report, 'utf8')
          .split('\n')
          .slice(1)
          .filter((line) => line.trim() !== '');
        resolve(
          lines.map((line) => {
            const [check, severity, confidence, file, location] = line
              .split(',')
              .map((cell) => cell.replace(/^"|"$/g, ''));
            return {
              check: check ?? '',
              severity: severity ?? '',
              confidence: confidence ?? '',
              file: file ?? '',
              location: location ?? '',
            };
          }),
        );
      },
    );
  });
}

const serious = (findings: Finding[]): string[] =>
  findings
    .filter((f) => f.severity === 'HIGH' || f.severity === 'MEDIUM')
    .map((f) => `${f.check} ${f.severity} ${f.file}:${f.location}`);

describe('Electron shell security (electronegativity)', () => {
  it('finds no HIGH or MEDIUM issue in main/electron', async () => {
    expect(serious(await electronegativity('main/electron'))).toEqual([]);
  });

  it('positive control: an unhardened window (no isolation, no sandbox, no navigation or permission limits) is reported', async () => {
    const dir = join(tmp, 'bad-app');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'main.js'),
      `const { BrowserWindow } = require('electron');
new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false, webSecurity: false } });\n`,
    );
    const found = serious(await electronegativity(dir));
    for (const check of [
      'CONTEXT_ISOLATION_JS_CHECK',
      'SANDBOX_JS_CHECK',
      'WEB_SECURITY_JS_CHECK',
      'LIMIT_NAVIGATION_GLOBAL_CHECK',
      'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK',
    ]) {
      expect(found.some((f) => f.startsWith(`${check} `))).toBe(true);
    }
  });
});

describe('Electron bundles', () => {
  it('bundles main (hardened window inline) and preloads (kiosk, agent console, this PC) that require nothing but electron', async () => {
    const built = await buildElectron();
    for (const [file, exposed] of [
      [built.preload, 'exposeInMainWorld("kiosk"'],
      [built.consolePreload, 'exposeInMainWorld("agentConsole"'],
      [built.pcPreload, 'exposeInMainWorld("thisPc"'],
    ] as const) {
      const preload = readFileSync(file, 'utf8');
      const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
      expect(new Set(required)).toEqual(new Set(['electron']));
      expect(preload).toContain(exposed);
    }
    const main = readFileSync(built.main, 'utf8');
    for (const setting of ['contextIsolation: true', 'sandbox: true', 'nodeIntegration: false', 'webSecurity: true']) {
      expect(main).toContain(setting);
    }
    // One window with those settings for every app (app-window.ts; its unit test checks kiosk mode for the kiosk
    // only, each app's preload and page), and the console's and this PC's pages in the bundle.
    expect(main).toMatch(/kiosk: shell\.kioskMode/);
    expect(main).toContain('agent.html');
    expect(main).toContain('pc.html');
  });
});
