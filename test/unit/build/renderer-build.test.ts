// The renderer the hosts actually serve (renderer/dist/, built by ensureRendererBuilt the way `dck kiosk
// --browser` and the end-to-end tests build it, here under vitest's NODE_ENV=test): a production build of React,
// without the dev-only fake, within the size budget. A development build left behind counts as missing.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUILD_INFO_FILE,
  ensureRendererBuilt,
  RENDERER_DIST,
  rendererBuilt,
  rendererSourceFingerprint,
} from '../../../build/renderer-build.ts';

const repoRoot = join(import.meta.dirname, '../../..');
const SERVED_JS_GZIP_BUDGET = 150 * 1024;

function servedScripts(): { name: string; text: string }[] {
  const assets = join(RENDERER_DIST, 'assets');
  return readdirSync(assets)
    .filter((name) => name.endsWith('.js'))
    .map((name) => ({ name, text: readFileSync(join(assets, name), 'utf8') }));
}

beforeAll(async () => {
  expect(process.env.NODE_ENV).toBe('test'); // the condition that used to leak into the build
  await ensureRendererBuilt();
}, 180_000);

describe('the renderer the hosts serve', () => {
  it("is React's production build", () => {
    const scripts = servedScripts();
    expect(scripts.length).toBeGreaterThan(0);
    for (const { name, text } of scripts) {
      expect(text, name).not.toContain('jsxDEV');
      expect(text, name).not.toContain('react-dom.development');
    }
    expect(rendererBuilt()).toBe(true);
  });

  it('does not contain the dev-only fake kiosk', () => {
    for (const { name, text } of servedScripts()) {
      expect(name).not.toMatch(/fake/);
      expect(text, name).not.toContain('DEV-ONLY FAKE');
      expect(text, name).not.toContain('createFakeKiosk');
    }
  });

  it(`loads under ${SERVED_JS_GZIP_BUDGET / 1024} KB of JavaScript, gzip`, () => {
    const gzipBytes = servedScripts().reduce((sum, { text }) => sum + gzipSync(text).length, 0);
    console.log(`renderer/dist JavaScript: ${gzipBytes} bytes gzip`);
    expect(gzipBytes).toBeLessThan(SERVED_JS_GZIP_BUDGET);
  });
});

describe('rendererBuilt', () => {
  it('counts a build without the production mark (a development build from before) as missing', () => {
    const copy = mkdtempSync(join(tmpdir(), 'dck-renderer-copy-'));
    try {
      cpSync(RENDERER_DIST, copy, { recursive: true });
      expect(rendererBuilt(`${copy}/`)).toBe(true);
      rmSync(join(copy, BUILD_INFO_FILE));
      expect(rendererBuilt(`${copy}/`)).toBe(false);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('counts a build of other renderer sources (a pull or merge since) as missing, so a stale kiosk is rebuilt', () => {
    const copy = mkdtempSync(join(tmpdir(), 'dck-renderer-copy-'));
    try {
      cpSync(RENDERER_DIST, copy, { recursive: true });
      const mark = JSON.parse(readFileSync(join(copy, BUILD_INFO_FILE), 'utf8')) as { sources: string };
      expect(mark.sources).toBe(rendererSourceFingerprint());
      writeFileSync(join(copy, BUILD_INFO_FILE), JSON.stringify({ ...mark, sources: '0'.repeat(64) }));
      expect(rendererBuilt(`${copy}/`)).toBe(false);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('vite.config.ts', () => {
  it('refuses to build in development mode', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'dck-renderer-dev-'));
    try {
      const result = spawnSync(
        process.execPath,
        [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--mode', 'development', '--outDir', outDir],
        {
          cwd: repoRoot,
          encoding: 'utf8',
        },
      );
      expect(result.status).not.toBe(0);
      expect(result.stderr + result.stdout).toContain('the kiosk renderer is built for production only');
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 60_000);
});
