// `dck bench card [--runs N] [--cycles N]`: prints card-path figures (see bench/card.ts).
// `--worker shim|plain` is internal: the parent runs one child per pcscd configuration.
import { runCardBenchmark, runCardBenchmarkWorker } from '../../bench/card.ts';
import type { BenchMode } from '../../bench/card.ts';

export const summary = 'benchmarks: `dck bench card` (APDUs and time to a verified card signature, removal latency)';

const USAGE = 'usage: dck bench card [--runs N (default 20)] [--cycles N (default 200)]';

function positiveInteger(value: string | undefined, name: string, max: number): number {
  const parsed = value !== undefined && /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > max)
    throw new RangeError(`${name} must be a whole number from 0 to ${max}`);
  return parsed;
}

export async function run(args: string[]): Promise<number> {
  const [target, ...rest] = args;
  if (target !== 'card') {
    console.error(USAGE);
    return target === '--help' || target === '-h' ? 0 : 2;
  }
  let runs = 20;
  let removalCycles = 200;
  let worker: BenchMode | undefined;
  try {
    for (let index = 0; index < rest.length; index += 2) {
      const [name, value] = [rest[index], rest[index + 1]];
      if (name === '--runs') runs = Math.max(1, positiveInteger(value, '--runs', 1000));
      else if (name === '--cycles') removalCycles = positiveInteger(value, '--cycles', 10_000);
      else if (name === '--worker' && (value === 'shim' || value === 'plain')) worker = value;
      else throw new RangeError(`unknown option ${String(name).slice(0, 40)}`);
    }
  } catch (error) {
    console.error(`dck bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (worker !== undefined) await runCardBenchmarkWorker(worker, { runs, removalCycles });
  else await runCardBenchmark({ runs, removalCycles });
  return 0;
}
