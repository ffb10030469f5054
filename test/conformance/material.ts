// Where the conformance material lives. It is public test material nobody on this project wrote (NIST PKITS, GSA's
// ICAM test cards; ../shared/conformance/SOURCES.md says where each file came from), so it is read where it lies and
// never copied into the repository.
//
// Found at `$DCK_CONFORMANCE_DIR` when set, else at `../shared/conformance` next to the repository. Under CI
// (`process.env.CI`) its absence fails the run; elsewhere the suites print that they skipped and why.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE_DIR_VARIABLE = 'DCK_CONFORMANCE_DIR';

export type Material = { found: true; dir: string } | { found: false; reason: string };

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function conformanceMaterial(part: 'pkits' | 'icam'): Material {
  const configured = process.env[CONFORMANCE_DIR_VARIABLE];
  const dir =
    configured !== undefined && configured !== ''
      ? resolve(configured)
      : resolve(repositoryRoot, '..', 'shared', 'conformance');
  const wanted = join(dir, part);
  if (existsSync(wanted)) return { found: true, dir };
  const how =
    configured !== undefined && configured !== ''
      ? `${CONFORMANCE_DIR_VARIABLE}=${configured}`
      : `the default ${dir} (set ${CONFORMANCE_DIR_VARIABLE} to change it)`;
  return { found: false, reason: `no ${part}/ conformance material under ${how}` };
}

/** Under CI, missing material is a failure: a conformance suite that silently did not run proves nothing. */
export function missingMaterialIsFatal(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}
