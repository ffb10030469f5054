// Test fixture: a private SoftHSM2 token (own SOFTHSM2_CONF and token directory) with no key yet, the CA key
// ceremony run on it through the real `dck ca ceremony` command, and a way to pull the token out and put it back.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOFTHSM_MODULE } from '../../native/softhsm-token.ts';

export const CA_TOKEN_LABEL = 'dck-ca';
export const CA_TOKEN_PIN = '246810';

export interface CaKeyDescription {
  module: string;
  tokenLabel: string;
  keyId: string;
  algorithm: string;
  publicKeyPem: string;
  protection: { sensitive: boolean; extractable: boolean; neverExtractable: boolean; alwaysSensitive: boolean };
  certificateFile?: string;
  requestFile?: string;
}

export interface CaToken {
  directory: string;
  configPath: string;
  /** The PIN in a 0600 file, as the issuer config's pinFile wants it. */
  pinFile: string;
  env: NodeJS.ProcessEnv;
  ceremony(args: string[], pin?: string): { status: number; description: CaKeyDescription | null; stderr: string };
  /** Moves the token's files away (the token is gone for the module) / back. */
  pull(): void;
  putBack(): void;
  remove(): void;
}

export function createCaToken(): CaToken {
  const directory = mkdtempSync(join(tmpdir(), 'dck-ca-token-'));
  const tokens = join(directory, 'tokens');
  const pulled = join(directory, 'pulled');
  mkdirSync(tokens);
  mkdirSync(pulled);
  const configPath = join(directory, 'softhsm2.conf');
  writeFileSync(configPath, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { ...process.env, SOFTHSM2_CONF: configPath };
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', CA_TOKEN_LABEL, '--pin', CA_TOKEN_PIN, '--so-pin', '13579135'],
    { env, stdio: 'ignore', timeout: 30_000 },
  );
  const pinFile = join(directory, 'ca-pin');
  writeFileSync(pinFile, `${CA_TOKEN_PIN}\n`, { mode: 0o600 });
  chmodSync(pinFile, 0o600);
  const move = (from: string, to: string) => {
    for (const name of readdirSync(from)) renameSync(join(from, name), join(to, name));
  };
  return {
    directory,
    configPath,
    pinFile,
    env,
    ceremony: (args, pin = CA_TOKEN_PIN) => {
      try {
        const stdout = execFileSync(
          process.execPath,
          ['bin/dck.js', 'ca', 'ceremony', '--module', SOFTHSM_MODULE, '--token', CA_TOKEN_LABEL, ...args],
          {
            env,
            input: `${pin}\n`,
            encoding: 'utf8',
            stdio: ['pipe', 'pipe', 'pipe'],
            timeout: 60_000,
          },
        );
        return { status: 0, description: JSON.parse(stdout) as CaKeyDescription, stderr: '' };
      } catch (error) {
        const failed = error as { status?: number; stderr?: string };
        return { status: failed.status ?? -1, description: null, stderr: failed.stderr ?? '' };
      }
    },
    pull: () => move(tokens, pulled),
    putBack: () => move(pulled, tokens),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}
