// The architecture is kept by lint rules (eslint.config.js): a forbidden import between top-level folders, or
// Electron's IPC objects outside their wrappers, fails `npm run lint` with a message naming the right module.
// Each case lints a probe source as if it were a file in that folder; the allowed twin proves the probe is sound.
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  // The probes are not files of the TypeScript project: lint them without type information (the boundary rule
  // needs none).
  overrideConfig: [tseslint.configs.disableTypeChecked],
});

async function importErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

describe('import boundaries', () => {
  it.each([
    [
      'issuer/probe.ts',
      "import { startKioskRuntime } from '../main/runtime/kiosk-runtime.ts';\nvoid startKioskRuntime;\n",
      /issuer\/ must not import main\/: only main\/ \(the kiosk process\) uses main\//,
    ],
    [
      'main/runtime/probe.ts',
      "import { startDemoEnvironment } from '../../demo/demo-environment.ts';\nvoid startDemoEnvironment;\n",
      /main\/ must not import demo\/: .*--demo/,
    ],
    [
      'main/runtime/probe.ts',
      "import { startIssuer } from '../../issuer/start-issuer.ts';\nvoid startIssuer;\n",
      /main\/ must not import issuer\/: .*over HTTP/,
    ],
    [
      'renderer/screens/probe.tsx',
      "import { KioskController } from '../../main/session/controller.ts';\nvoid KioskController;\n",
      /window\.kiosk/,
    ],
    [
      'contracts/probe.ts',
      "import { PivCard } from '../piv/index.ts';\nvoid PivCard;\n",
      /contracts\/ imports nothing/,
    ],
    [
      'piv/probe.ts',
      "import { createSmartCardService } from '../native/pcsc/index.ts';\nvoid createSmartCardService;\n",
      /piv\/ must not import native\//,
    ],
    [
      'issuer/ca/probe.ts',
      "import { createSmartCardService } from '../../native/pcsc/index.ts';\nvoid createSmartCardService;\n",
      /issuer\/ must not import native\/: .*only native\/pkcs11\//,
    ],
    [
      'main/session/probe.ts',
      "import { ipcMain } from 'electron';\nvoid ipcMain;\n",
      /ipcMain is imported only in main\/ipc\/electron-ipc\.ts/,
    ],
    [
      'renderer/probe.ts',
      "import { ipcRenderer } from 'electron';\nvoid ipcRenderer;\n",
      /ipcRenderer is imported only in main\/preload\.ts/,
    ],
  ])('%s: a forbidden import fails lint', async (file, code, message) => {
    const errors = await importErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it.each([
    ['issuer/probe.ts', "import type { KioskView } from '../contracts/kiosk-api.ts';\nexport type V = KioskView;\n"],
    [
      'demo/probe.ts',
      "import { startKioskRuntime } from '../main/runtime/kiosk-runtime.ts';\nvoid startKioskRuntime;\n",
    ],
    ['main/ipc/electron-ipc.ts', "import { ipcMain } from 'electron';\nvoid ipcMain;\n"],
    ['main/preload.ts', "import { ipcRenderer } from 'electron';\nvoid ipcRenderer;\n"],
    ['main/card/probe.ts', "import { PivCard } from '../../piv/index.ts';\nvoid PivCard;\n"],
    [
      'issuer/ca/probe.ts',
      "import { TokenKeyConnection } from '../../native/pkcs11/index.ts';\nvoid TokenKeyConnection;\n",
    ],
  ])('%s: an allowed import passes', async (file, code) => {
    expect(await importErrors(file, code)).toEqual([]);
  });
});
