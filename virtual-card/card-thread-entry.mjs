// Entry of a virtual card's thread: worker threads do not inherit the TypeScript loader of the thread that starts
// them, so this plain module loads the TypeScript body through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./card-thread.ts', import.meta.url);
