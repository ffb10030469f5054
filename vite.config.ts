// Vite build of the kiosk renderer (renderer/ -> renderer/dist/). Every build is a production build, whoever
// starts it: Vite takes its mode from NODE_ENV when that is set, and vitest sets NODE_ENV=test, so a build started
// from a test (the end-to-end tests build the renderer when it is missing) used to ship React's development build
// and the dev-only fake kiosk (163 KB gzip, against 105 KB).
// `base: './'` keeps every asset URL relative, so the same build loads from file:// (Electron) and from the
// browser host's http origin. No inline scripts or styles are emitted, so the hosts can use a strict CSP.
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_INFO_FILE, buildInfo } from './build/renderer-build.ts';

const rendererRoot = fileURLToPath(new URL('./renderer', import.meta.url));

/**
 * The hosts serve `kiosk-host.js` (the script that defines `window.kiosk` in the browser host; empty under
 * Electron, where the preload defines it). The Vite dev server has no host, so it answers with an empty
 * script and the renderer falls back to its dev-only fake.
 */
function devKioskHostStub(): Plugin {
  return {
    name: 'dck-dev-kiosk-host-stub',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/kiosk-host.js', (_request, response) => {
        response.setHeader('Content-Type', 'text/javascript');
        response.end('// dev server: no kiosk host; the renderer uses its dev fake\n');
      });
      server.middlewares.use('/agent-host.js', (_request, response) => {
        response.setHeader('Content-Type', 'text/javascript');
        response.end('// dev server: no console host; the console says it is not connected\n');
      });
      server.middlewares.use('/pc-host.js', (_request, response) => {
        response.setHeader('Content-Type', 'text/javascript');
        response.end('// dev server: no "this PC" host; the page says it is not connected\n');
      });
    },
  };
}

/**
 * Refuses to finish a build that is not a production build, and marks the ones that are: the hosts treat a
 * renderer/dist without the mark as missing and build it again.
 */
function productionBuildOnly(): Plugin {
  let production = false;
  return {
    name: 'dck-production-build-only',
    apply: 'build',
    configResolved(config) {
      production = config.isProduction && config.mode === 'production';
      if (!production) {
        throw new Error(
          `the kiosk renderer is built for production only (mode ${config.mode}, NODE_ENV ${process.env.NODE_ENV ?? 'unset'})`,
        );
      }
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: BUILD_INFO_FILE, source: `${JSON.stringify(buildInfo())}\n` });
    },
  };
}

export default defineConfig(({ command }) => {
  if (command === 'build') {
    // Read by Vite after this file is loaded (isProduction, React's JSX runtime, import.meta.env.DEV): set, never
    // inherited.
    process.env.NODE_ENV = 'production';
  }
  return {
    mode: command === 'build' ? 'production' : 'development',
    root: rendererRoot,
    base: './',
    plugins: [react(), devKioskHostStub(), productionBuildOnly()],
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      // The polyfill would be injected as module code; modern Chromium needs none.
      modulePreload: { polyfill: false },
      // Keep the QR / i18n code in the one entry chunk: the kiosk loads once and never navigates.
      assetsInlineLimit: 0,
      // Three pages: the kiosk (index.html), the help-desk agent console (agent.html, served by `dck agent`) and
      // "Set up this PC" (pc.html, served by `dck pc --browser`).
      rollupOptions: {
        input: {
          kiosk: join(rendererRoot, 'index.html'),
          agent: join(rendererRoot, 'agent.html'),
          pc: join(rendererRoot, 'pc.html'),
        },
      },
      sourcemap: false,
      target: 'chrome120',
    },
    server: { host: '127.0.0.1', strictPort: false },
  };
});
