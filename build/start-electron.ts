// `npm start`: the kiosk in Electron where its binary is installed; otherwise says how to run the browser host.
// `npm start -- --demo` adds the demo environment; without it the kiosk reads its configuration file.
// (Installs with ELECTRON_SKIP_BINARY_DOWNLOAD=1, like this project's build machines, have no binary.)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildElectron } from './build-electron.ts';
import { ensureRendererBuilt } from './renderer-build.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function electronBinary(): string | null {
  const pathFile = `${ROOT}node_modules/electron/path.txt`;
  if (!existsSync(pathFile)) return null;
  const binary = `${ROOT}node_modules/electron/dist/${readFileSync(pathFile, 'utf8').trim()}`;
  return existsSync(binary) ? binary : null;
}

const binary = electronBinary();
if (binary === null) {
  console.log(`The Electron binary is not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD was set).
Run the same kiosk in Chromium instead:

  npm run start:browser        (or: node bin/dck.js kiosk --browser [--no-open])
  node bin/dck.js agent --browser …   for --agent;   node bin/dck.js pc --browser …   for --pc

To use Electron, install its binary: ELECTRON_SKIP_BINARY_DOWNLOAD= npm rebuild electron`);
} else {
  await ensureRendererBuilt(() => console.log('building the kiosk UI (vite build)…'));
  const built = await buildElectron({ demo: process.argv.includes('--demo') });
  const child = spawn(binary, [built.main, ...process.argv.slice(2)], { stdio: 'inherit', cwd: ROOT });
  child.on('exit', (code) => {
    process.exitCode = code ?? 1;
  });
}
