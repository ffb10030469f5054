#!/usr/bin/env node
// Is node_modules what `npm ci` would install from package-lock.json? Exit 0 when it is, 1 (with the reason on
// stderr) when it is missing or stale, 2 when this Node.js is too old for the project (engines.node).
// Plain JavaScript on purpose: it runs before anything is installed, and one process for both checks keeps
// scripts/setup.sh's no-op run fast (a Node start is most of its time).
//
// It compares the lockfile with npm's own record of what it installed (node_modules/.package-lock.json, written by
// `npm ci`/`npm install` when they finish) and checks that the native addons were built: ~40 ms, where asking npm
// (`npm ls`) takes seconds. Packages the lockfile marks optional may be absent (other platforms' binaries).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** The oldest Node.js the project runs on (package.json engines.node: ">=20.19"). */
export const NODE_MINIMUM = [20, 19];

export function nodeTooOld(version = process.versions.node) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < NODE_MINIMUM[0] || (major === NODE_MINIMUM[0] && minor < NODE_MINIMUM[1]);
}

/** Native addons `npm ci` compiles against this machine's PC/SC and Node headers. */
export const NATIVE_ADDONS = [
  'node_modules/smartcard/build/Release/smartcard_napi.node',
  'node_modules/pkcs11js/build/Release/pkcs11.node',
  'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
];

function readPackages(file) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    parsed.packages === null ||
    typeof parsed.packages !== 'object'
  ) {
    throw new Error(`${file} has no "packages" table`);
  }
  return parsed.packages;
}

/** Null when node_modules under `root` matches its package-lock.json, otherwise why not (one line). */
export function whyNodeModulesStale(root) {
  const installedRecord = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installedRecord)) return 'node_modules is missing (or was not installed by npm)';
  let wanted;
  let installed;
  try {
    wanted = readPackages(join(root, 'package-lock.json'));
    installed = readPackages(installedRecord);
  } catch (error) {
    return `cannot read the lockfiles: ${error instanceof Error ? error.message : String(error)}`;
  }
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === '' || entry === null || typeof entry !== 'object') continue;
    const have = installed[path];
    if (have === undefined) {
      if (entry.optional === true) continue;
      return `${path} is not installed`;
    }
    if (have.version !== entry.version)
      return `${path} is ${String(have.version)}, the lockfile wants ${String(entry.version)}`;
  }
  for (const addon of NATIVE_ADDONS) {
    if (!existsSync(join(root, addon))) return `${addon} was not built`;
  }
  return null;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (nodeTooOld()) {
    process.stderr.write(`Node.js ${process.versions.node} is too old: ${NODE_MINIMUM.join('.')} or newer is needed\n`);
    process.exit(2);
  }
  const reason = whyNodeModulesStale(process.argv[2] ?? process.cwd());
  if (reason !== null) {
    process.stderr.write(`${reason}\n`);
    process.exitCode = 1;
  }
}
