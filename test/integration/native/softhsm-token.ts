// Test fixture: a SoftHSM2 token in a temp directory holding a key + self-signed certificate with
// CKA_ID 01 (where OpenSC puts PIV slot 9A), made with the same tools an administrator would use.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const TOKEN_PIN = '123456';

export interface SoftHsmFixture {
  readonly directory: string;
  readonly configPath: string;
  readonly labels: readonly string[];
  remove(): void;
}

const run = (file: string, args: string[], env: NodeJS.ProcessEnv): string =>
  execFileSync(file, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });

/** Creates one token per key type ('rsa' → RSA-2048, 'ec' → P-256), labelled by key type. */
export function createSoftHsmTokens(keyTypes: readonly ('rsa' | 'ec')[]): SoftHsmFixture {
  const directory = mkdtempSync(join(tmpdir(), 'dck-softhsm-'));
  const configPath = join(directory, 'softhsm2.conf');
  writeFileSync(join(directory, '.keep'), '');
  execFileSync('mkdir', ['-p', join(directory, 'tokens')]);
  writeFileSync(
    configPath,
    `directories.tokendir = ${join(directory, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: configPath };
  for (const keyType of keyTypes) {
    run(
      'softhsm2-util',
      ['--init-token', '--free', '--label', keyType, '--pin', TOKEN_PIN, '--so-pin', '87654321'],
      env,
    );
    const key = join(directory, `${keyType}.key.der`);
    const certificate = join(directory, `${keyType}.cert.der`);
    const keyArgs =
      keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    run(
      'openssl',
      [
        'req',
        '-x509',
        ...keyArgs,
        '-nodes',
        '-subj',
        `/CN=SoftHSM ${keyType} PIV Auth`,
        '-days',
        '30',
        '-keyout',
        `${key}.pem`,
        '-outform',
        'DER',
        '-out',
        certificate,
      ],
      env,
    );
    run('openssl', ['pkey', '-in', `${key}.pem`, '-outform', 'DER', '-out', key], env);
    for (const [file, type] of [
      [key, 'privkey'],
      [certificate, 'cert'],
    ] as const) {
      run(
        'pkcs11-tool',
        [
          '--module',
          SOFTHSM_MODULE,
          '--token-label',
          keyType,
          '--login',
          '--pin',
          TOKEN_PIN,
          '--write-object',
          file,
          '--type',
          type,
          '--id',
          '01',
          '--label',
          'PIV AUTH',
        ],
        env,
      );
    }
  }
  return { directory, configPath, labels: keyTypes, remove: () => rmSync(directory, { recursive: true, force: true }) };
}
