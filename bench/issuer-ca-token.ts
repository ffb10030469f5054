// `bench:issuer --ca-signer pkcs11`: the issuing CA's key in a SoftHSM2 token of the benchmark's own (private
// SOFTHSM2_CONF and token directory in the data dir), made by the real `dck ca ceremony`, and the issuer config's
// `ca.pkcs11` section that points at it. The issuer processes get SOFTHSM2_CONF through their environment.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const LABEL = 'bench-ca';
/** A throw-away token's PIN; it lives only in the benchmark's temp directory. */
const PIN = '918273';

export interface BenchCaToken {
  env: NodeJS.ProcessEnv;
  caConfig: Record<string, unknown>;
}

export function createBenchCaToken(dataDir: string): BenchCaToken {
  const directory = join(dataDir, 'softhsm');
  mkdirSync(join(directory, 'tokens'), { recursive: true });
  const configPath = join(directory, 'softhsm2.conf');
  writeFileSync(
    configPath,
    `directories.tokendir = ${join(directory, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: configPath };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', LABEL, '--pin', PIN, '--so-pin', '19283746'], {
    env,
    stdio: 'ignore',
  });
  const pinFile = join(directory, 'pin');
  writeFileSync(pinFile, `${PIN}\n`, { mode: 0o600 });
  const dck = fileURLToPath(new URL('../bin/dck.js', import.meta.url));
  const out = join(directory, 'ceremony');
  execFileSync(
    process.execPath,
    [dck, 'ca', 'ceremony', '--module', SOFTHSM_MODULE, '--token', LABEL, '--key-id', 'b1', '--out', out],
    { env, input: `${PIN}\n`, stdio: ['pipe', 'ignore', 'inherit'] },
  );
  return {
    env,
    caConfig: {
      pkcs11: {
        module: SOFTHSM_MODULE,
        tokenLabel: LABEL,
        keyId: 'b1',
        pinFile,
        certificateFile: join(out, 'ca-certificate.pem'),
      },
    },
  };
}
