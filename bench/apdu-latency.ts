/**
 * Prints the round-trip time of one APDU through pcscd + vpcd + the virtual card, with and without
 * the TCP_NODELAY shim. Run: npx tsx bench/apdu-latency.ts [APDUS_PER_RUN]
 * Method: opensc-tool sends 1 APDU, then N APDUs, in one process each; the difference over N-1 is
 * the per-APDU cost without process start-up. Figures only; nothing is asserted.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startVirtualCard } from '../virtual-card/virtual-card.ts';
import { startPcscEnvironment, waitForReaderState } from '../virtual-card/pcscd/pcsc-environment.ts';

const run = promisify(execFile);
const SELECT = '00:A4:04:00:09:A0:00:00:03:08:00:00:10:00:00';
const GET_DISCOVERY = '00:CB:3F:FF:03:5C:01:7E:00';

async function timeOpenscTool(env: NodeJS.ProcessEnv, reader: string, apdus: number): Promise<number> {
  const args = ['-r', reader, '-s', SELECT, ...Array.from({ length: apdus - 1 }, () => ['-s', GET_DISCOVERY]).flat()];
  const start = process.hrtime.bigint();
  await run('opensc-tool', args, { env });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function measure(tcpNoDelay: boolean, apdus: number): Promise<number> {
  const environment = await startPcscEnvironment({ tcpNoDelay });
  const card = await startVirtualCard({ profile: 'p256', port: environment.vpcdPort, insert: true });
  try {
    await waitForReaderState(environment.env, environment.readerName, 'present');
    const samples: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const one = await timeOpenscTool(environment.env, environment.readerName, 1);
      const many = await timeOpenscTool(environment.env, environment.readerName, apdus);
      samples.push((many - one) / (apdus - 1));
    }
    samples.sort((a, b) => a - b);
    return samples[2] ?? Number.NaN;
  } finally {
    await card.stop();
    await environment.stop();
  }
}

const apdus = Number(process.argv[2] ?? 50);
for (const tcpNoDelay of [true, false]) {
  const perApdu = await measure(tcpNoDelay, apdus);
  console.log(
    `per-APDU round trip, shim ${tcpNoDelay ? 'on ' : 'off'}: ${perApdu.toFixed(2)} ms (median of 5 runs of ${apdus} APDUs)`,
  );
}
