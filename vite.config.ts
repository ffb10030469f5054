// Vite build of the kiosk renderer (renderer/ -> renderer/dist/).
// `base: './'` keeps every asset URL relative, so the same build loads from file:// (Electron) and from the
// browser host's http origin. No inline scripts or styles are emitted, so the hosts can use a strict CSP.
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

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
    },
  };
}

export default defineConfig({
  root: rendererRoot,
  base: './',
  plugins: [react(), devKioskHostStub()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The polyfill would be injected as module code; modern Chromium needs none.
    modulePreload: { polyfill: false },
    // Keep the QR / i18n code in the one entry chunk: the kiosk loads once and never navigates.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'chrome120',
  },
  server: { host: '127.0.0.1', strictPort: false },
});
