// `dck admin audit verify`: reads the whole audit log in pages, in sequence order, and names the first row that
// breaks its chain. The issuer may keep writing (and the retention dropping) meanwhile: a row of a chain started
// after the state was read, or one that follows rows the retention has just dropped, is checked again against a
// fresh state before it counts as broken; rows written after the state was read are verified like the others, and
// the chains' ends are compared with the heads read before the first row and after the last.
import { AuditChainVerifier } from './audit-chain-verifier.ts';
import type { AuditChainBreak } from './audit-chain-verifier.ts';
import type { IssuerStorage } from '../storage/issuer-storage.ts';

const PAGE_ROWS = 1000;

export interface AuditVerification {
  /** Rows verified (up to the first break). */
  rows: number;
  chains: number;
  /** The first break, or null: the log verifies. */
  firstBreak: AuditChainBreak | null;
}

export async function verifyAuditLog(
  storage: Pick<IssuerStorage, 'listAudit' | 'readAuditChainState'>,
): Promise<AuditVerification> {
  const verifier = new AuditChainVerifier(await storage.readAuditChainState());
  let last = 0;
  for (;;) {
    const page = await storage.listAudit(last, PAGE_ROWS);
    if (page.length === 0) break;
    for (const row of page) {
      let broken = verifier.feed(row);
      if (broken !== null && (broken.problem === 'unknown-chain' || broken.problem === 'missing')) {
        verifier.refresh(await storage.readAuditChainState());
        broken = verifier.feed(row);
      }
      if (broken !== null) return { rows: verifier.rows, chains: verifier.chainCount, firstBreak: broken };
      last = row.sequence;
    }
  }
  // Short of a head read before the rows: deleted. Past a head read after them: inserted (a row read was committed
  // with its head, in one transaction, so a later read of the head covers it).
  const shortOfHead = verifier.finish('short');
  if (shortOfHead === null) verifier.refresh(await storage.readAuditChainState());
  return { rows: verifier.rows, chains: verifier.chainCount, firstBreak: shortOfHead ?? verifier.finish('past') };
}
