// One line per conformance case: what the material expects, what PKI-AUTH answered, and why. Printed after each
// suite so a reader sees every case, including the ones that do not apply and the known failures.
import type { CardAuthenticationResult } from '../../issuer/pki-auth/verify-card-authentication.ts';

export type Expected = 'valid' | 'invalid';

export interface VerdictRow {
  readonly id: string;
  readonly expected: Expected | 'n/a';
  readonly got: Expected;
  readonly detail: string;
  /** Why the row is not asserted as the material says (not applicable, a known failure, a documented deviation). */
  readonly note: string;
  readonly matches: boolean;
}

export function row(
  id: string,
  expected: Expected | 'n/a',
  result: CardAuthenticationResult,
  got: Expected,
  note: string,
): VerdictRow {
  const detail = result.ok ? 'ok' : `${result.code}: ${result.message}`;
  return { id, expected, got, detail: detail.replace(/\s+/g, ' ').slice(0, 150), note, matches: expected === got };
}

export function printTable(title: string, rows: readonly VerdictRow[]): void {
  const applicable = rows.filter((line) => line.expected !== 'n/a');
  const matching = applicable.filter((line) => line.matches).length;
  const width = Math.max(4, ...rows.map((line) => line.id.length));
  const lines = [
    `${title}: ${matching} of ${applicable.length} applicable cases give the expected verdict (${rows.length - applicable.length} not applicable)`,
    `${'case'.padEnd(width)}  expected  got      ${'code: message'}`,
    ...rows.map((line) => {
      const mark = line.expected === 'n/a' ? ' ' : line.matches ? ' ' : '✗';
      const note = line.note === '' ? '' : `   [${line.note}]`;
      return `${line.id.padEnd(width)} ${mark}${line.expected.padEnd(8)}  ${line.got.padEnd(7)}  ${line.detail}${note}`;
    }),
  ];
  console.log(lines.join('\n'));
}
