// Entry of the device key store's child process (store-process.ts): a forked Node does not inherit the parent's
// TypeScript loader, so this plain module loads the TypeScript body through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./store-process-child.ts', import.meta.url);
