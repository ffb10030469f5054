// What an auditor's search of a large audit log costs through the real SQLite storage (issuer/agent/audit-search.ts
// → searchAudit): one page of 50 newest first, unfiltered, and filtered on an action, a target text and an agent
// that only one row in a thousand has (the walk then goes down the whole log: there is no index beyond the
// sequence). Prints the median of 5 runs of each; figures only.
//
//   node --import tsx bench/audit-search.ts [--rows N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntryInput, AuditSearch } from '../issuer/storage/issuer-storage.ts';
import { openSqliteStorage } from '../issuer/storage/sqlite-storage.ts';
import { benchArgs } from './bench-args.ts';
import { ms, summarise } from './stats.ts';

const { rows } = benchArgs('bench/audit-search.ts', { rows: { kind: 'integer', default: 100_000 } });
const RARE_EVERY = 1000;

const entry = (i: number): AuditEntryInput =>
  i % RARE_EVERY === 0
    ? {
        at: Date.now(),
        event: 'agent-revoke-bench',
        outcome: 'success',
        code: 'keyCompromise',
        details: {
          agentCardId: 'bench-agent',
          serialNumberHex: `5e${i.toString(16).padStart(12, '0')}`,
          note: 'bench-note',
        },
      }
    : {
        at: Date.now(),
        event: 'redeem',
        outcome: 'success',
        code: null,
        details: { enrollmentId: `e-${i}`, serial: '5e00000000000000000000000000a1', remoteAddress: '127.0.0.1' },
      };

const NONE: AuditSearch = {
  agent: null,
  event: null,
  target: null,
  outcome: null,
  fromAt: null,
  toAt: null,
  beforeSequence: null,
};

const dir = mkdtempSync(join(tmpdir(), 'dck-bench-audit-search-'));
try {
  const storage = openSqliteStorage(join(dir, 'issuer.sqlite'), { checkpointIntervalMs: 0 });
  for (let i = 1; i <= rows; i += 1) await storage.appendAudit(entry(i));
  const cases: Array<[string, AuditSearch]> = [
    ['no filter', NONE],
    ['action (1 row in 1000)', { ...NONE, event: 'agent-revoke-bench' }],
    ['target text (1 row in 1000)', { ...NONE, target: 'bench-note' }],
    ['target text (no row)', { ...NONE, target: 'nowhere-at-all' }],
    ['agent card id (no card row: no match)', { ...NONE, agent: 'bench-agent' }],
  ];
  console.log(`audit rows: ${rows}; one page = 50 rows (51 asked), SQLite, median of 5 runs`);
  for (const [name, search] of cases) {
    const times: number[] = [];
    let found = 0;
    for (let run = 0; run < 5; run += 1) {
      const started = process.hrtime.bigint();
      found = (await storage.searchAudit(search, 51)).length;
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    console.log(`${name}: ${ms(summarise(times).median)} ms (${found} rows)`);
  }
  await storage.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
