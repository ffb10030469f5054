#!/usr/bin/env node
// Entry for the `dck` command: runs the TypeScript CLI through tsx's loader, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/dck.ts');
