// `npm run bench:device-key-deadline`: what the deadline costs a device key signature ("Set up this PC"): the same
// sign through the in-process store (Pkcs11DeviceKeyStore) and through the store in its child process
// (Pkcs11StoreProcess, native/device-keys/store-process.ts): warm (the child already running) and cold (the first
// call of a run, which starts the child and loads the TypeScript through tsx). Each in-process sign already opens
// the module and logs in, as every store call does. On SoftHSM2, so the figures are the overhead alone; a TPM's own
// signing time (tens of milliseconds and more) comes on top of both alike. Prints figures only.
//
//   node --import tsx bench/device-key-deadline.ts [--signs N] [--cold N]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  initializeDeviceToken,
  Pkcs11DeviceKeyStore,
  Pkcs11StoreProcess,
  SOFTHSM2_MODULE,
} from '../native/device-keys/index.ts';
import type { DeviceKeyStore } from '../native/device-keys/index.ts';
import { benchArgs } from './bench-args.ts';
import { ms, summarise } from './stats.ts';

const { signs, cold: colds } = benchArgs('bench/device-key-deadline.ts', {
  signs: { kind: 'integer', default: 200 },
  cold: { kind: 'integer', default: 10 },
});

const work = mkdtempSync(join(tmpdir(), 'dck-bench-device-key-'));
mkdirSync(join(work, 'tokens'));
writeFileSync(join(work, 'softhsm2.conf'), `directories.tokendir = ${join(work, 'tokens')}\nlog.level = ERROR\n`);
process.env.SOFTHSM2_CONF = join(work, 'softhsm2.conf');

const TOKEN = 'bench device key';
const PIN = '24681012';
const token = { modulePath: SOFTHSM2_MODULE, tokenLabel: TOKEN, protection: 'software' as const };
const tokenPin = (): Buffer => Buffer.from(PIN);
const message = Buffer.from('revoke this PC');

async function timed(store: DeviceKeyStore, keyId: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await store.sign(keyId, message);
    times.push(performance.now() - start);
  }
  return times;
}

const line = (label: string, times: readonly number[]): void => {
  const s = summarise(times);
  console.log(
    `${label.padEnd(34)} n=${String(times.length).padStart(4)}  median ${ms(s.median)} ms  min ${ms(s.min)} ms  max ${ms(s.max)} ms`,
  );
};

try {
  initializeDeviceToken(SOFTHSM2_MODULE, TOKEN, Buffer.from('13579111'), Buffer.from(PIN));
  const inProcess = new Pkcs11DeviceKeyStore({ ...token, tokenPin });
  const { keyId } = await inProcess.generateKey({ commonName: 'Bench', label: 'Bench Agency' });

  await timed(inProcess, keyId, 10); // warm-up: module load, page cache
  const direct = await timed(inProcess, keyId, signs);

  const warmStore = new Pkcs11StoreProcess({ ...token, tokenPin });
  await timed(warmStore, keyId, 10);
  const warm = await timed(warmStore, keyId, signs);

  const cold: number[] = [];
  for (let i = 0; i < colds; i += 1)
    cold.push(...(await timed(new Pkcs11StoreProcess({ ...token, tokenPin }), keyId, 1)));

  console.log(`device key signature, SoftHSM2 (ECDSA P-256), node ${process.version}`);
  line('in process (no deadline)', direct);
  line('child process, warm', warm);
  line('child process, cold (first call)', cold);
  console.log(
    `added per signature (medians): warm ${ms(summarise(warm).median - summarise(direct).median)} ms, ` +
      `cold ${ms(summarise(cold).median - summarise(direct).median)} ms`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
