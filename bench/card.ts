/**
 * `npm run bench:card` (= `dck bench card`): how fast a PIV card gets from "inserted" to a verified
 * PIV Authentication (9A) signature, ours vs OpenSC's pkcs11-tool, and how fast a removal is seen.
 * Everything runs against the project's virtual card on a private pcscd + vpcd; the emulator counts
 * the APDUs. Figures are printed, never asserted.
 *
 * libpcsclite fixes the pcscd socket once per process, so each pcscd configuration (with and without
 * the TCP_NODELAY shim) is measured in its own child process (`dck bench card --worker MODE`), which
 * prints one JSON line that the parent turns into the table.
 */
import { spawn } from 'node:child_process';
import { verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSmartCardService } from '../native/pcsc/index.ts';
import type { SmartCardEventName, SmartCardService } from '../native/pcsc/index.ts';
import { OPENSC_PKCS11_MODULE } from '../native/pkcs11/index.ts';
import { PivCard, signChallenge } from '../piv/index.ts';
import { startPcscEnvironment } from '../virtual-card/pcscd/pcsc-environment.ts';
import { startVirtualCard } from '../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../virtual-card/virtual-card.ts';
import { ms, summarise } from './stats.ts';
import type { Summary } from './stats.ts';

export type BenchMode = 'shim' | 'plain';

export interface CardBenchOptions {
  /** Signing runs per path (median over these). */
  readonly runs: number;
  /** Insert/remove cycles for the removal latency figure. */
  readonly removalCycles: number;
}

interface SigningFigures {
  readonly apdus: number[];
  readonly presentToVerifiedMs: number[];
  readonly insertToEventMs: number[];
}

interface WorkerReport {
  readonly mode: BenchMode;
  readonly ours: SigningFigures;
  readonly opensc: SigningFigures | null;
  readonly removalToEventMs: number[];
}

const DEMO_PIN = '123456';
const CHALLENGE = Buffer.from('dck benchmark challenge: 32 bytes');
const DCK_ENTRY = fileURLToPath(new URL('../bin/dck.js', import.meta.url));

// ---- parent: run the workers and print -----------------------------------------------------------

export async function runCardBenchmark(options: CardBenchOptions): Promise<void> {
  console.log(`Card benchmark: virtual PIV card (rsa2048) on vpcd, private pcscd, ${options.runs} runs per path\n`);
  const withShim = await runWorker('shim', options);
  const withoutShim = await runWorker('plain', { runs: Math.min(options.runs, 5), removalCycles: 0 });
  printReport(withShim, withoutShim, options);
}

function runWorker(mode: BenchMode, options: CardBenchOptions): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        DCK_ENTRY,
        'bench',
        'card',
        '--worker',
        mode,
        '--runs',
        String(options.runs),
        '--cycles',
        String(options.removalCycles),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const last = output.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`benchmark worker (${mode}) failed with exit code ${String(code)}`));
        return;
      }
      resolve(JSON.parse(last) as WorkerReport);
    });
  });
}

function printReport(shim: WorkerReport, plain: WorkerReport, options: CardBenchOptions): void {
  const row = (label: string, figures: SigningFigures): string => {
    const time = summarise(figures.presentToVerifiedMs);
    const apdus = summarise(figures.apdus);
    return `${label.padEnd(52)} ${String(apdus.median).padStart(5)}  ${ms(time.median).padStart(9)}  ${ms(time.max).padStart(8)}`;
  };
  console.log(
    `${'card present → verified 9A signature'.padEnd(52)} ${'APDUs'.padStart(5)}  ${'median ms'.padStart(9)}  ${'max ms'.padStart(8)}`,
  );
  console.log(row('ours (TCP_NODELAY shim)', shim.ours));
  if (shim.opensc !== null) console.log(row('OpenSC pkcs11-tool --login --sign (shim, process)', shim.opensc));
  console.log(row('ours without the shim', plain.ours));
  const insert = summarise(shim.ours.insertToEventMs);
  console.log(
    `\ninsert → card-inserted event (pcscd presence poll): median ${ms(insert.median)} ms, max ${ms(insert.max)} ms`,
  );
  if (options.removalCycles > 0) {
    const removal = summarise(shim.removalToEventMs);
    console.log(
      `card removal → card-removed event over ${removal.count} cycles: median ${ms(removal.median)} ms, max ${ms(removal.max)} ms (goal: within 500 ms)`,
    );
  }
  const ours: Summary = summarise(shim.ours.presentToVerifiedMs);
  const apdus = summarise(shim.ours.apdus).median;
  console.log(
    `\ntargets: ≤13 APDUs → ${apdus <= 13 ? 'met' : 'NOT met'} (${apdus}); <25 ms median with the shim → ${ours.median < 25 ? 'met' : 'NOT met'} (${ms(ours.median)} ms)`,
  );
}

// ---- worker: one pcscd configuration -------------------------------------------------------------

export async function runCardBenchmarkWorker(mode: BenchMode, options: CardBenchOptions): Promise<void> {
  const environment = await startPcscEnvironment({ tcpNoDelay: mode === 'shim' });
  const card = await startVirtualCard({ profile: 'rsa2048', port: environment.vpcdPort });
  const service = createSmartCardService();
  const events = new EventWaiter(service);
  const readerUp = events.next('reader-added');
  service.start();
  await readerUp;
  try {
    const ours = await measureSigning(options.runs, card, events, () =>
      signWithOurEdge(service, environment.readerName),
    );
    const opensc =
      mode === 'shim'
        ? await measureSigning(options.runs, card, events, () => signWithOpenSc(environment.env, card))
        : null;
    const removalToEventMs = await measureRemoval(options.removalCycles, card, events);
    const report: WorkerReport = { mode, ours, opensc, removalToEventMs };
    console.log(JSON.stringify(report));
  } finally {
    await service.stop();
    await card.stop();
    await environment.stop();
  }
}

async function measureSigning(
  runs: number,
  card: VirtualCard,
  events: EventWaiter,
  signOnce: () => Promise<void>,
): Promise<SigningFigures> {
  const figures: SigningFigures = { apdus: [], presentToVerifiedMs: [], insertToEventMs: [] };
  for (let run = 0; run < runs; run += 1) {
    const inserted = events.next('card-inserted');
    const insertAt = performance.now();
    await card.insert();
    await inserted;
    const presentAt = performance.now();
    const apdusBefore = card.apduCount;
    await signOnce();
    figures.presentToVerifiedMs.push(performance.now() - presentAt);
    figures.insertToEventMs.push(presentAt - insertAt);
    figures.apdus.push(card.apduCount - apdusBefore);
    const removed = events.next('card-removed');
    await card.remove();
    await removed;
  }
  return figures;
}

async function signWithOurEdge(service: SmartCardService, reader: string): Promise<void> {
  const connection = await service.connect(reader);
  try {
    const result = await signChallenge(
      new PivCard(connection, { atr: connection.atr }),
      CHALLENGE,
      Buffer.from(DEMO_PIN),
    );
    if (!result.verified) throw new Error('our signature did not verify');
  } finally {
    await connection.disconnect();
  }
}

/** pkcs11-tool is a separate process, so its figure includes process start and OpenSC's setup. */
async function signWithOpenSc(env: NodeJS.ProcessEnv, card: VirtualCard): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'dck-bench-'));
  try {
    const input = join(directory, 'challenge');
    const output = join(directory, 'signature');
    writeFileSync(input, CHALLENGE);
    // The demo PIN of the virtual card; pkcs11-tool only takes a PIN on its command line.
    await execute(
      'pkcs11-tool',
      [
        '--module',
        OPENSC_PKCS11_MODULE,
        '--login',
        '--pin',
        DEMO_PIN,
        '--sign',
        '--id',
        '01',
        '-m',
        'SHA256-RSA-PKCS',
        '-i',
        input,
        '-o',
        output,
      ],
      env,
    );
    const publicKey = new X509Certificate(card.identity.pivAuth.der).publicKey;
    if (!verify('sha256', CHALLENGE, publicKey, readFileSync(output)))
      throw new Error('OpenSC signature did not verify');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function measureRemoval(cycles: number, card: VirtualCard, events: EventWaiter): Promise<number[]> {
  const latencies: number[] = [];
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    const inserted = events.next('card-inserted');
    await card.insert();
    await inserted;
    const removed = events.next('card-removed');
    const removedAt = performance.now();
    await card.remove();
    await removed;
    latencies.push(performance.now() - removedAt);
  }
  return latencies;
}

function execute(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: the virtual card answering pkcs11-tool lives in this process.
    const child = spawn(file, args, { env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited with ${String(code)}`))));
  });
}

/** Resolves on the next occurrence of an event; fails loudly instead of hanging a benchmark. */
class EventWaiter {
  constructor(private readonly service: SmartCardService) {}

  next(name: SmartCardEventName, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.service.off(name, listener);
        reject(new Error(`no ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.service.once(name, listener);
    });
  }
}
