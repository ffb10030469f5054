import { PivError } from '../../../piv/errors.ts';

/** Runs fn and returns the PivError code it threw, or 'no error'; any other exception fails the test. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof PivError) return error.code;
    throw error;
  }
  return 'no error';
}
