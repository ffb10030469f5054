// ESLint flat config: typescript-eslint's type-aware rules over every TypeScript source, and the architecture as
// rules: which top-level folder may import which (test/unit/toolchain/import-boundaries.test.ts proves a forbidden
// import fails), and where Electron's IPC objects may be imported.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Why a folder may not import another, in the words the error shows. */
const REASONS = {
  contracts: 'contracts/ imports nothing: every side imports it, so it cannot depend on any of them',
  main: 'only main/ (the kiosk process) uses main/; share types through contracts/',
  demo: 'the demo (embedded issuer, virtual card) stays out of the product: main/electron/main.ts loads demo/electron-demo.ts only for --demo',
  renderer: 'the renderer is a page: it talks to main only through window.kiosk (contracts/kiosk-api.ts)',
  issuer:
    'the issuer is a separate program: talk to it over HTTP through its route table (contracts/issuer-routes.ts, contracts/issuer-caller.ts)',
  phone: 'phone/ is the stand-in for the mobile app, a separate program: share through contracts/issuer-api.ts',
  'virtual-card': 'the virtual card is a test and demo device: only demo/, cli/, bench/ and tests use it',
  cli: 'cli/ is the command-line entry; nothing imports it',
  bench: 'benchmarks are entries; nothing imports them',
  test: 'product code never imports tests',
  native:
    'native/ (PC/SC, PKCS#11) is for main/, cli/ and the card tools, not for this folder (the issuer uses only native/pkcs11/, for the CA key in an HSM)',
  piv: 'the PIV card edge is for main/, cli/ and the card tools, not for this folder',
  build: 'build/ holds packaging scripts; product code does not use them',
};

/** For each product folder, the top-level folders it must not import. */
const FORBIDDEN = {
  contracts: Object.keys(REASONS).filter((folder) => folder !== 'contracts'),
  piv: ['main', 'demo', 'renderer', 'issuer', 'phone', 'virtual-card', 'cli', 'bench', 'test', 'native', 'build'],
  native: ['main', 'demo', 'renderer', 'issuer', 'phone', 'virtual-card', 'cli', 'bench', 'test', 'piv', 'build'],
  renderer: ['main', 'demo', 'issuer', 'phone', 'virtual-card', 'cli', 'bench', 'test', 'native', 'piv', 'build'],
  issuer: ['main', 'demo', 'renderer', 'phone', 'virtual-card', 'cli', 'bench', 'test', 'native', 'piv', 'build'],
  phone: ['main', 'demo', 'renderer', 'issuer', 'virtual-card', 'cli', 'bench', 'test', 'native', 'piv', 'build'],
  'virtual-card': ['main', 'demo', 'renderer', 'issuer', 'phone', 'cli', 'bench', 'test', 'build'],
  main: ['demo', 'renderer', 'issuer', 'phone', 'virtual-card', 'cli', 'bench', 'test', 'build'],
  demo: ['renderer', 'phone', 'cli', 'bench', 'test'],
};

const SELF_BOUNDED = new Set(['contracts', 'renderer']);

/** The one part of a forbidden folder a folder may use: the issuer's CA key in an HSM goes through native/pkcs11/. */
const ALLOWED_PART = { issuer: { native: 'pkcs11/' } };

/** The one module per process side that imports each IPC object (the kiosk's, agent console's and this PC's preloads). */
const IPC_WRAPPERS = {
  ipcMain: ['main/ipc/electron-ipc.ts'],
  ipcRenderer: ['main/preload.ts', 'main/console-preload.ts', 'main/pc-preload.ts'],
};

/** `no-restricted-imports` for files of `folder` (null: any other file), minus the IPC object `ipcAllowed`. */
function importRule(folder, ipcAllowed = null) {
  const patterns = (FORBIDDEN[folder] ?? []).map((other) => ({
    regex: `^(\\.\\./)+${other}/${ALLOWED_PART[folder]?.[other] === undefined ? '' : `(?!${ALLOWED_PART[folder][other]})`}`,
    // contracts/ and the renderer are bounded by what they are; the others by what they would reach into.
    message: `${folder}/ must not import ${other}/: ${REASONS[SELF_BOUNDED.has(folder) ? folder : other]}.`,
  }));
  const paths = Object.entries(IPC_WRAPPERS)
    .filter(([name]) => name !== ipcAllowed)
    .map(([name, wrapper]) => ({
      name: 'electron',
      importNames: [name],
      message: `${name} is imported only in ${wrapper.join(' and ')}; use the wrapper.`,
    }));
  return ['error', { paths, patterns }];
}

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'out/', 'test-output/', 'renderer/dist/', 'renderer/dist.building-*/', 'bin/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Swallowed errors are a defect in a security product: every catch must do something.
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      'no-console': 'off',
      'no-restricted-imports': importRule(null),
    },
  },
  ...Object.keys(FORBIDDEN).map((folder) => ({
    files: [`${folder}/**/*.ts`, `${folder}/**/*.tsx`],
    rules: { 'no-restricted-imports': importRule(folder) },
  })),
  ...Object.entries(IPC_WRAPPERS).map(([name, files]) => ({
    files,
    rules: { 'no-restricted-imports': importRule('main', name) },
  })),
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
