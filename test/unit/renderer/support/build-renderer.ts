// Builds the renderer with the repository's vite.config.ts (a production build, whatever NODE_ENV says) into a
// temporary folder, for tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';

export const repoRoot = join(import.meta.dirname, '../../../..');

export async function buildRendererTo(prefix: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), prefix));
  // vite.config.ts sets NODE_ENV=production for its build; give this test process back vitest's value.
  const nodeEnv = process.env.NODE_ENV;
  try {
    await build({
      configFile: join(repoRoot, 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  return outDir;
}
