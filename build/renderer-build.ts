// The renderer build the hosts serve (renderer/dist/), built when it is missing: `dck kiosk --browser`, the
// end-to-end tests and the kiosk benchmark call ensureRendererBuilt(); `npm run build:renderer` builds it always.
// vite.config.ts makes every build a production build and marks it with BUILD_INFO_FILE; a renderer/dist without
// the mark (a development build from before that rule) counts as missing.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RENDERER_DIST = `${REPO_ROOT}renderer/dist/`;
export const BUILD_INFO_FILE = 'build-info.json';

function isProductionMark(file: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'mode' in parsed && parsed.mode === 'production';
  } catch {
    return false;
  }
}

/** True when `dir` holds a production build of the renderer (index.html, a script, the production mark). */
export function rendererBuilt(dir = RENDERER_DIST): boolean {
  const assets = `${dir}assets`;
  return (
    existsSync(`${dir}index.html`) &&
    existsSync(assets) &&
    readdirSync(assets).some((file) => file.endsWith('.js')) &&
    isProductionMark(`${dir}${BUILD_INFO_FILE}`)
  );
}

function viteBuild(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [`${REPO_ROOT}node_modules/vite/bin/vite.js`, 'build', '--mode', 'production', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
    );
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (exit ${code ?? 'signal'})`))));
  });
}

/**
 * Builds the renderer into renderer/dist/ unless a production build is there. It builds into a folder of its own
 * and renames it into place, so test processes that build at the same time never serve a half-written folder.
 */
export async function ensureRendererBuilt(onBuild: () => void = () => undefined): Promise<void> {
  if (rendererBuilt()) return;
  onBuild();
  const staging = `${REPO_ROOT}renderer/dist.building-${process.pid}`;
  try {
    await viteBuild(staging);
    if (rendererBuilt()) return; // another process finished first
    rmSync(RENDERER_DIST, { recursive: true, force: true });
    try {
      renameSync(staging, RENDERER_DIST);
    } catch (error) {
      // Another process renamed its build into place between our rm and rename: that build serves as well.
      if (!rendererBuilt()) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
