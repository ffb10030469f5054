// What the card monitor read: the store wrapped so that every call of a card listing (`list…Cards`, whichever the
// monitor of this commit uses) counts as a page and every element of its answer as a card row. One home for
// bench/eligibility-monitor.ts and the due-card tests (test/integration/issuer/eligibility/), so a figure and an
// assertion count the same thing.
import type { IssuerStorage } from '../issuer/storage/issuer-storage.ts';

export interface CardReads {
  pages: number;
  rows: number;
}

export function countingCardReads(storage: IssuerStorage, reads: CardReads): IssuerStorage {
  return new Proxy(storage, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof name !== 'string' || !/^list\w*Cards$/.test(name) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const answer: unknown = await Reflect.apply(value, target, args);
        reads.pages += 1;
        if (Array.isArray(answer)) reads.rows += answer.length;
        return answer;
      };
    },
  });
}
