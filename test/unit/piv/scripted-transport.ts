/**
 * Test double for CardTransport: a script of (expected command, response) pairs. Every command
 * must match the next expected hex exactly; a mismatch fails the test via `assertDone()` and
 * rejects the transmit. Keeps the exact Uint8Array it was given (to check zero-filling) and a
 * hex copy taken at transmit time.
 */
import type { CardTransport } from '../../../piv/transport.ts';

export interface ScriptStep {
  /** Expected command APDU in hex; spaces allowed. */
  readonly expect: string;
  /** Raw response in hex (data + SW), spaces allowed, or an error to reject with. */
  readonly respond: string | Error;
}

export const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export class ScriptedTransport implements CardTransport {
  readonly sentHex: string[] = [];
  readonly sentBuffers: Uint8Array[] = [];
  readonly problems: string[] = [];
  private readonly steps: ScriptStep[];

  constructor(steps: readonly ScriptStep[]) {
    this.steps = [...steps];
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    const sent = toHex(command);
    this.sentHex.push(sent);
    this.sentBuffers.push(command);
    const step = this.steps.shift();
    if (step === undefined) {
      this.problems.push(`unexpected extra APDU ${sent}`);
      return Promise.reject(new Error(`unexpected APDU ${sent}`));
    }
    const expected = step.expect.replace(/\s+/g, '').toLowerCase();
    if (sent !== expected) {
      this.problems.push(`expected ${expected}, got ${sent}`);
      return Promise.reject(new Error(`expected ${expected}, got ${sent}`));
    }
    if (step.respond instanceof Error) return Promise.reject(step.respond);
    return Promise.resolve(hex(step.respond));
  }

  /** Throws when a command mismatched or scripted steps were left unused. */
  assertDone(): void {
    if (this.problems.length > 0) throw new Error(this.problems.join('; '));
    if (this.steps.length > 0)
      throw new Error(`${this.steps.length} scripted APDU(s) never sent, next: ${this.steps[0]?.expect}`);
  }
}

/** A transport answering every command via a function (for fuzzing). */
export class FunctionTransport implements CardTransport {
  count = 0;
  constructor(private readonly answer: (command: Uint8Array, index: number) => Uint8Array) {}
  transmit(command: Uint8Array): Promise<Uint8Array> {
    const index = this.count;
    this.count += 1;
    return Promise.resolve(this.answer(Uint8Array.from(command), index));
  }
}

/** Deterministic pseudo-random bytes so fuzz failures reproduce. */
export function seededRandom(seed: number): (max: number) => number {
  let state = seed >>> 0;
  return (max: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % max;
  };
}

export function randomBytes(next: (max: number) => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => next(256));
}
