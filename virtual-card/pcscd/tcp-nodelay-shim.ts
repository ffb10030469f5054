/**
 * Builds virtual-card/pcscd/tcp-nodelay-shim.c into a cached shared object (keyed by the source's hash),
 * so pcscd can be started with LD_PRELOAD=<it>. Parallel workers may race: each compiles to its
 * own temporary name and renames atomically, so a half-written .so is never loaded.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const SOURCE = fileURLToPath(new URL('./tcp-nodelay-shim.c', import.meta.url));

/** Directory for built test helpers; outside the repository so no binary is ever committed. */
export function harnessCacheDir(): string {
  const dir = join(process.env.XDG_CACHE_HOME ?? join(tmpdir(), '.cache'), 'dck-test-harness');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Path of the built shim; compiles it with gcc on first use. */
export async function buildTcpNoDelayShim(): Promise<string> {
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const target = join(harnessCacheDir(), `tcp-nodelay-shim-${hash}.so`);
  if (existsSync(target)) return target;
  const partial = `${target}.${process.pid}.${Date.now()}.tmp`;
  await execFileAsync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', partial, SOURCE, '-ldl']);
  renameSync(partial, target);
  return target;
}
