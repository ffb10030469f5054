import { readFileSync } from 'node:fs';
const require_log = (p: string) => readFileSync(p, 'utf8').split('\n').slice(-80).join('\n');
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
const run = promisify(execFile);
import { startPcscEnvironment, waitForReaderState } from './pcsc-environment.ts';
import { startVirtualCard } from '../../virtual-card/virtual-card.ts';
const profile = (process.argv[2] ?? 'rsa2048') as 'rsa2048';
const e = await startPcscEnvironment({ logApdus: true });
const card = await startVirtualCard({ profile, port: e.vpcdPort });
await card.insert();
await waitForReaderState(e.env, e.readerName, 'present');
for (const cmd of process.argv.slice(3)) {
  const [bin, ...args] = cmd.split(' ');
  const before = card.apduCount;
  try { const r = await run(bin!, args, { env: e.env, encoding: 'utf8' }); console.log(r.stdout, r.stderr); }
  catch (err) { console.log('FAILED', String((err as {stderr?: string}).stderr), String((err as {stdout?: string}).stdout)); }
  console.log(`--- ${cmd}: ${card.apduCount - before} APDUs`);
}
if (process.env.SHOWLOG) console.log(require_log(e.logPath));
await card.stop(); await e.stop();
