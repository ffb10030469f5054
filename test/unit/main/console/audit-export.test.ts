// The audit export main builds: CSV a spreadsheet opens as text (cells starting = + - @, tab or CR neutralised,
// OWASP), RFC 4180 quoting (quotes doubled, commas and line breaks kept inside one cell, CRLF records), JSON lines
// that read back as the rows; the pages followed by their cursor up to a bound, with "truncated" past it; and the
// page's audit filter checked before main uses it.
import { describe, expect, it } from 'vitest';
import type { AuditPage, AuditRow } from '../../../../contracts/agent-api.ts';
import { validateConsoleArgs } from '../../../../contracts/console-api.ts';
import type { ConsoleAuditFilter } from '../../../../contracts/console-api.ts';
import { ok } from '../../../../contracts/kiosk-api.ts';
import {
  auditCsv,
  auditExportFile,
  auditJsonLines,
  auditQueryOf,
  collectAuditRows,
  csvCell,
} from '../../../../main/console/audit-export.ts';

const NONE: ConsoleAuditFilter = { agent: '', action: '', target: '', outcome: '', from: '', to: '' };

function row(sequence: number, note: string | null = null): AuditRow {
  return {
    sequence,
    at: new Date(Date.UTC(2026, 11, 6, 12, 0, sequence)).toISOString(),
    action: 'credential-suspend',
    outcome: 'success',
    code: null,
    agent: { cardId: 'card-1', name: 'Hal Helpdesk' },
    target: 'ab12',
    note,
    details: { serialNumberHex: 'ab12', note },
    chain: { chainId: 'chain-1', position: sequence },
  };
}

/** A minimal RFC 4180 reader: quoted cells, doubled quotes, CRLF between records. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      cells.push(cell);
      records.push(cells);
      cells = [];
      cell = '';
      i += 1;
    } else cell += char;
  }
  return records;
}

describe('CSV', () => {
  it('neutralises cells a spreadsheet would run as a formula, and only those', () => {
    for (const hostile of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx'])
      expect(csvCell(hostile), JSON.stringify(hostile)).toBe(`"'${hostile.replace(/"/g, '""')}"`);
    for (const plain of ['phone lost', 'a=b', '2026-12-06', '', "'quoted"])
      expect(csvCell(plain), plain).toBe(`"${plain}"`);
    expect(csvCell(null)).toBe('""');
    expect(csvCell(-1)).toBe(`"'-1"`);
  });

  it('quotes per RFC 4180: a note with quotes, commas and line breaks stays one cell of one record', () => {
    const note = 'said "stolen", then\r\nfound it; =cmd|\' /C calc\'!A0';
    const records = readCsv(auditCsv([row(2, note), row(1)]));
    expect(records).toHaveLength(3);
    expect(records[0]?.slice(0, 4)).toEqual(['time', 'agent', 'agent card', 'action']);
    expect(records.every((record) => record.length === 12)).toBe(true);
    expect(records[1]?.[7]).toBe(note);
    expect(records[1]?.[0]).toBe('2026-12-06T12:00:02.000Z');
    expect(JSON.parse(records[1]?.[11] ?? '')).toEqual({ serialNumberHex: 'ab12', note });
  });
});

describe('JSON lines', () => {
  it('one row per line that reads back as the row', () => {
    const rows = [row(2, 'line one\nline two'), row(1)];
    const lines = auditJsonLines(rows).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((line) => JSON.parse(line) as unknown)).toEqual(rows);
  });

  it('names the file after the moment, with its media type', () => {
    const file = auditExportFile([row(1)], false, 'jsonl', new Date(Date.UTC(2026, 11, 6, 14, 5, 9)));
    expect(file).toMatchObject({
      fileName: 'audit-20261206-140509.jsonl',
      mediaType: 'application/x-ndjson',
      rows: 1,
    });
    expect(auditExportFile([], false, 'csv', new Date(0)).fileName).toBe('audit-19700101-000000.csv');
  });
});

describe('following the pages', () => {
  /** An issuer of `total` rows, newest (highest sequence) first, answering pages as GET /agent/audit does. */
  function issuerOf(total: number) {
    const asked: Array<number | undefined> = [];
    const cursors: Array<string | undefined> = [];
    const fetchPage = (query: { before?: number; limit?: number; cursor?: string }) => {
      asked.push(query.before);
      cursors.push(query.cursor);
      const limit = query.limit ?? 50;
      const top = (query.before ?? total + 1) - 1;
      const sequences = Array.from({ length: Math.max(0, Math.min(limit + 1, top)) }, (_, i) => top - i);
      const rows = sequences.slice(0, limit).map((sequence) => row(sequence));
      const nextBefore = sequences.length > limit ? (rows.at(-1)?.sequence ?? null) : null;
      const page: AuditPage = { rows, nextBefore, nextCursor: nextBefore === null ? null : `cursor-${nextBefore}` };
      return Promise.resolve(ok(page));
    };
    return { asked, cursors, fetchPage };
  }

  it('collects every row once, newest first, across pages', async () => {
    const issuer = issuerOf(450);
    const collected = await collectAuditRows(NONE, issuer.fetchPage);
    if (!collected.ok) throw new Error('refused');
    expect(collected.value.truncated).toBe(false);
    expect(collected.value.rows.map((r) => r.sequence)).toEqual(Array.from({ length: 450 }, (_, i) => 450 - i));
    expect(issuer.asked).toEqual([undefined, 251, 51]);
  });

  it('sends each page the cursor the issuer answered with, so the export is one audited search', async () => {
    const issuer = issuerOf(450);
    await collectAuditRows(NONE, issuer.fetchPage);
    expect(issuer.cursors).toEqual([undefined, 'cursor-251', 'cursor-51']);
  });

  it('stops at the bound with the newest rows and says it left some out; exactly the bound is not truncated', async () => {
    const over = await collectAuditRows(NONE, issuerOf(1000).fetchPage, 300);
    if (!over.ok) throw new Error('refused');
    expect(over.value.truncated).toBe(true);
    expect(over.value.rows.map((r) => r.sequence)).toEqual(Array.from({ length: 300 }, (_, i) => 1000 - i));
    const exact = await collectAuditRows(NONE, issuerOf(300).fetchPage, 300);
    expect(exact.ok && exact.value.truncated).toBe(false);
    expect(exact.ok && exact.value.rows.length).toBe(300);
  });

  it('a refusal on any page ends the export with it', async () => {
    let calls = 0;
    const collected = await collectAuditRows(NONE, () => {
      calls += 1;
      return Promise.resolve(
        calls === 1
          ? ok<AuditPage>({ rows: [row(9)], nextBefore: 9, nextCursor: 'cursor-9' })
          : { ok: false as const, error: { code: 'refused' } },
      );
    });
    expect(collected).toEqual({ ok: false, error: { code: 'refused' } });
  });
});

describe('the filter', () => {
  it('sends the inclusive last day as the next day, and only the fields the agent filled', () => {
    expect(auditQueryOf({ ...NONE, agent: ' hal ', from: '2026-12-01', to: '2026-12-31' }, 7, 200)).toEqual({
      agent: 'hal',
      from: '2026-12-01',
      to: '2027-01-01',
      before: 7,
      limit: 200,
    });
    expect(auditQueryOf(NONE, null)).toEqual({});
  });

  it('the page may only send a filter of the right shape and bounds', () => {
    expect(validateConsoleArgs('searchAudit', [NONE, null]).ok).toBe(true);
    const cursor = 'A'.repeat(43);
    expect(validateConsoleArgs('searchAudit', [NONE, { before: 7, cursor }]).ok).toBe(true);
    expect(validateConsoleArgs('searchAudit', [NONE, { before: 7, cursor: null }]).ok).toBe(true);
    expect(validateConsoleArgs('exportAudit', [{ ...NONE, outcome: 'failure' }, 'csv']).ok).toBe(true);
    for (const args of [
      [{ ...NONE, agent: 'x'.repeat(129) }, null],
      [{ ...NONE, outcome: 'maybe' }, null],
      [{ ...NONE, from: 'yesterday' }, null],
      [{ ...NONE, action: 'DROP TABLE' }, null],
      [{ ...NONE, extra: 'x' }, null],
      [{ agent: '' }, null],
      [NONE, -1],
      [NONE, 1.5],
      [NONE, '7'],
      [NONE, { before: 0, cursor: null }],
      [NONE, { before: 7 }],
      [NONE, { before: 7, cursor: 'x'.repeat(65) }],
      [NONE, { before: 7, cursor: "x' OR 1=1 --xxxxxxxxxx" }],
      [NONE, { before: 7, cursor: null, extra: 1 }],
      [null, null],
    ])
      expect(validateConsoleArgs('searchAudit', args).ok, JSON.stringify(args)).toBe(false);
    expect(validateConsoleArgs('exportAudit', [NONE, 'xlsx']).ok).toBe(false);
  });
});
