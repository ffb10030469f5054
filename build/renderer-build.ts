// The renderer build the hosts serve (renderer/dist/), built when it is missing: `dck kiosk --browser`, the
// end-to-end tests and the kiosk benchmark call ensureRendererBuilt(); `npm run build:renderer` builds it always.
// vite.config.ts makes every build a production build and marks it with BUILD_INFO_FILE, together with a fingerprint
// of the sources it was built from. A renderer/dist without the mark (a development build from before that rule), or
// built from other sources (a `git pull` or a merge since), counts as missing: the kiosk never serves stale screens.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RENDERER_DIST = `${REPO_ROOT}renderer/dist/`;
export const BUILD_INFO_FILE = 'build-info.json';

/** What goes into the renderer build: its own folder (not its outputs), the contracts it imports, the build config. */
const SOURCE_DIRS = ['renderer', 'contracts'];
const SOURCE_FILES = ['vite.config.ts', 'package-lock.json'];
const NOT_SOURCES = /^(dist|node_modules)|^dist\.building-/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (NOT_SOURCES.test(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.isFile() ? [path] : [];
  });
}

/** SHA-256 over the path and bytes of every renderer source, in a fixed order (a few ms for the ~100 files). */
export function rendererSourceFingerprint(): string {
  const files = [
    ...SOURCE_DIRS.flatMap((dir) => sourceFiles(join(REPO_ROOT, dir))),
    ...SOURCE_FILES.map((file) => join(REPO_ROOT, file)),
  ]
    .filter((file) => existsSync(file))
    .sort();
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(`${relative(REPO_ROOT, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  return hash.digest('hex');
}

/** The mark vite.config.ts writes into every build. */
export function buildInfo(): { mode: 'production'; sources: string } {
  return { mode: 'production', sources: rendererSourceFingerprint() };
}

function isCurrentProductionMark(file: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      'mode' in parsed &&
      parsed.mode === 'production' &&
      'sources' in parsed &&
      parsed.sources === rendererSourceFingerprint()
    );
  } catch {
    return false;
  }
}

/** True when `dir` holds a production build of the current renderer sources (index.html, a script, the mark). */
export function rendererBuilt(dir = RENDERER_DIST): boolean {
  const assets = `${dir}assets`;
  return (
    existsSync(`${dir}index.html`) &&
    existsSync(assets) &&
    readdirSync(assets).some((file) => file.endsWith('.js')) &&
    isCurrentProductionMark(`${dir}${BUILD_INFO_FILE}`)
  );
}

function viteBuild(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        `${REPO_ROOT}node_modules/vite/bin/vite.js`,
        'build',
        '--mode',
        'production',
        '--outDir',
        outDir,
        '--emptyOutDir',
        '--logLevel',
        'warn',
      ],
      { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
    );
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build failed (exit ${code ?? 'signal'})`)),
    );
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
