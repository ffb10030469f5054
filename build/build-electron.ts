// Bundles the Electron main process and the preload with esbuild (`npm run build:electron`):
//   out/electron/main.mjs     ESM, Node platform; native addons and electron stay external
//   out/electron/preload.cjs  CommonJS: a sandboxed preload may only require 'electron'
//   out/electron/console-preload.cjs  the same for the agent console window (`--agent`)
//   out/electron/pc-preload.cjs  the same for the "Set up this PC" window (`--pc`)
//   out/electron/demo.mjs     only with { demo: true } (`npm start -- --demo`): the demo environment, which
//                             main.mjs loads for --demo; electron-builder leaves it out of the package
//   out/electron/store-process-entry.mjs  the device key store's child process ("Set up this PC", --pc), at the path
//                             native/device-keys/store-process.ts forks next to itself
//   out/electron/card-thread-entry.mjs  with demo.mjs: the virtual card's worker thread, at the path its starter
//                             (virtual-card/threaded-virtual-card.ts) resolves next to itself
// The renderer is built separately by Vite (renderer/dist), which main.mjs serves as app://kiosk/.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OUT_DIR = `${ROOT}out/electron`;

/** Native addons are loaded from node_modules (unpacked from the asar by electron-builder). */
const NATIVE_EXTERNALS = ['electron', 'smartcard', 'pkcs11js', 'better-sqlite3'];

const nodeBundle = (entry: string, outfile: string) =>
  build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: NATIVE_EXTERNALS,
    // CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __dckCreateRequire } from 'node:module'; const require = __dckCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
  });

export const DEMO_BUNDLE = `${OUT_DIR}/demo.mjs`;
export const DEMO_CARD_THREAD_BUNDLE = `${OUT_DIR}/card-thread-entry.mjs`;

export async function buildElectron(
  options: { demo?: boolean } = {},
): Promise<{ main: string; preload: string; consolePreload: string; pcPreload: string; demo: string | null }> {
  const main = `${OUT_DIR}/main.mjs`;
  const preload = `${OUT_DIR}/preload.cjs`;
  await nodeBundle(`${ROOT}main/electron/main.ts`, main);
  // "Set up this PC": the key store's child process (native/device-keys/store-process.ts forks it next to itself).
  await nodeBundle(`${ROOT}native/device-keys/store-process-child.ts`, `${OUT_DIR}/store-process-entry.mjs`);
  // A demo bundle left by an earlier `npm start -- --demo` never reaches a package: electron-builder.yml excludes it.
  if (options.demo === true) {
    await nodeBundle(`${ROOT}demo/electron-demo.ts`, DEMO_BUNDLE);
    await nodeBundle(`${ROOT}virtual-card/card-thread.ts`, DEMO_CARD_THREAD_BUNDLE);
  }
  const consolePreload = `${OUT_DIR}/console-preload.cjs`;
  const pcPreload = `${OUT_DIR}/pc-preload.cjs`;
  for (const [entry, outfile] of [
    [`${ROOT}main/preload.ts`, preload],
    [`${ROOT}main/console-preload.ts`, consolePreload],
    [`${ROOT}main/pc-preload.ts`, pcPreload],
  ] as const)
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'chrome120',
      external: ['electron'],
      legalComments: 'none',
      logLevel: 'warning',
    });
  return { main, preload, consolePreload, pcPreload, demo: options.demo === true ? DEMO_BUNDLE : null };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildElectron();
  console.log(`built ${built.main}\nbuilt ${built.preload}\nbuilt ${built.consolePreload}\nbuilt ${built.pcPreload}`);
}
