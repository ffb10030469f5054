// The production build of the renderer: loads from file:// and http alike, needs no 'unsafe-inline' or
// 'unsafe-eval' in the hosts' Content-Security-Policy, ships without the dev fake, and stays within budget.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRendererTo, repoRoot } from './support/build-renderer.ts';

const rendererDir = join(repoRoot, 'renderer');
const INITIAL_JS_GZIP_BUDGET = 150 * 1024;

let outDir = '';
let html = '';
let scripts: { name: string; text: string }[] = [];

beforeAll(async () => {
  outDir = await buildRendererTo('dck-renderer-build-');
  html = readFileSync(join(outDir, 'index.html'), 'utf8');
  scripts = readdirSync(join(outDir, 'assets'))
    .filter((name) => name.endsWith('.js'))
    .map((name) => ({ name, text: readFileSync(join(outDir, 'assets', name), 'utf8') }));
}, 120_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('renderer production build', () => {
  it('loads kiosk-host.js as a classic script before the module entry, with relative URLs', () => {
    const hostAt = html.indexOf('<script src="./kiosk-host.js"');
    const entryAt = html.search(/<script type="module"[^>]*src="\.\/assets\/[^"]+\.js"/);
    expect(hostAt).toBeGreaterThan(-1);
    expect(entryAt).toBeGreaterThan(hostAt);
    expect(html).not.toMatch(/(src|href)="\/(?!\/)/);
  });

  it('has no inline script, inline style or style attribute (strict CSP without unsafe-inline)', () => {
    for (const [, body] of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) expect(body?.trim()).toBe('');
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/data:/);
  });

  it('does not contain the dev-only fake kiosk', () => {
    for (const { text } of scripts) {
      expect(text).not.toContain('DEV-ONLY FAKE');
      expect(text).not.toContain('Alex van der Berg');
      expect(text).not.toContain('help.example.org');
    }
  });

  it('needs no unsafe-eval', () => {
    for (const { text } of scripts) {
      expect(text).not.toMatch(/\bnew Function\(/);
      expect(text).not.toMatch(/\beval\(/);
    }
  });

  it(`keeps the initial JavaScript under ${INITIAL_JS_GZIP_BUDGET / 1024} KB gzip`, () => {
    // The entry and every chunk it preloads: with two pages (kiosk, agent console) Vite moves the shared code
    // (React, i18n, the kiosk's components) into a chunk of its own, which the kiosk loads all the same.
    const names = [...html.matchAll(/(?:src|href)="\.\/assets\/([^"]+\.js)"/g)].map((match) => match[1]);
    const loaded = scripts.filter((script) => names.includes(script.name));
    expect(loaded.length).toBe(names.length);
    expect(loaded.length).toBeGreaterThan(0);
    const text = loaded.map((script) => script.text).join('\n');
    const gzipBytes = gzipSync(text).length;
    console.log(`renderer initial JS: ${text.length} bytes, ${gzipBytes} bytes gzip`);
    expect(gzipBytes).toBeLessThan(INITIAL_JS_GZIP_BUDGET);
  });
});

describe('renderer sources', () => {
  function sourceFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'dist' ? [] : sourceFiles(path);
      return /\.(ts|tsx)$/.test(entry.name) ? [path] : [];
    });
  }

  it('use no React style props, innerHTML or network calls (the page talks only to window.kiosk)', () => {
    for (const file of sourceFiles(rendererDir)) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\bstyle=\{/);
      expect(text, file).not.toMatch(/dangerouslySetInnerHTML|\.innerHTML\s*=/);
      expect(text, file).not.toMatch(/\bfetch\(|XMLHttpRequest|new WebSocket\(/);
    }
  });
});
