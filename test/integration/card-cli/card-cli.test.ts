// `dck card …` run as a help-desk agent would: a real pcscd with two vpcd readers, the project's
// virtual PIV cards in them, OpenSC for the --pkcs11 path, the PIN piped on stdin. Checks what the
// agent sees (text, JSON, exit codes) and that no PIN ever shows up in any output.
import { spawn } from 'node:child_process';
import { verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../../virtual-card/virtual-card.ts';
import { pkiAuthMessageBytes } from '../pki-auth/card-signature.ts';

const OPENSC = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
const DEMO_PIN = '123456';
const WRONG_PINS = ['654321', '111111', '222222'];

let environment: PcscEnvironment;
let rsaCard: VirtualCard;
let ecCard: VirtualCard;
const everyOutput: string[] = [];

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/dck.js card …` with the PIN (if any) on stdin. Async: the virtual cards live in this process. */
function dck(args: string[], stdin = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/dck.js', 'card', ...args], {
      env: environment.env,
      cwd: process.cwd(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      everyOutput.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

const rsaReader = (): string => environment.readerName;
const ecReader = (): string => environment.secondReaderName;

beforeAll(async () => {
  environment = await startPcscEnvironment({ tcpNoDelay: true });
  rsaCard = await startVirtualCard({ profile: 'rsa2048', port: environment.vpcdPort, insert: true });
  ecCard = await startVirtualCard({ profile: 'p256', port: environment.vpcdPort + 1, insert: true });
  await waitForReaderState(environment.env, rsaReader(), 'present');
  await waitForReaderState(environment.env, ecReader(), 'present');
});

afterAll(async () => {
  await rsaCard.stop();
  await ecCard.stop();
  await environment.stop();
  // Checked last, over everything every command printed.
  for (const pin of [DEMO_PIN, ...WRONG_PINS]) expect(everyOutput.join('\n')).not.toContain(pin);
});

describe('dck card list', () => {
  it('lists both readers with presence and ATR, as text and JSON', async () => {
    const text = await dck(['list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${rsaReader()}: card present, ATR [0-9a-f]+$`, 'm'));
    const json = await dck(['list', '--json']);
    const readers = JSON.parse(json.stdout) as { reader: string; cardPresent: boolean; atr: string | null }[];
    expect(readers.map((reader) => reader.reader)).toEqual([rsaReader(), ecReader()]);
    expect(readers.every((reader) => reader.cardPresent && /^3b[0-9a-f]+$/.test(reader.atr ?? ''))).toBe(true);
  });
});

describe('dck card info', () => {
  it('gives a help-desk agent the CHUID, certificates and PIN tries in words', async () => {
    const { code, stdout } = await dck(['info', '--reader', rsaReader()]);
    expect(code).toBe(0);
    expect(stdout).toContain('FASC-N: agency 9999, system 9999, credential 999999, series 0, issue 1 — checks OK');
    expect(stdout).toContain(`Card UUID (GUID): ${rsaCard.identity.uuid}`);
    expect(stdout).toContain('PIN tries left: 3');
    expect(stdout).toMatch(/Certificate 9A \(PIV Authentication\):\n {2}Subject: CN=Demo Cardholder/);
    expect(stdout).toContain('Key: RSA 2048 bits');
    expect(stdout).toContain('Policies: 2.16.840.1.101.3.2.1.3.13');
  });

  it('prints the documented CardInfo JSON', async () => {
    const { code, stdout } = await dck(['info', '--reader', ecReader(), '--json']);
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as {
      schemaVersion: number;
      chuid: { fascn: { agencyCode: string; lrcOk: boolean } };
      certificates: Record<string, { curve: string | null; uuid: string | null } | null>;
      pin: { triesLeft: number };
    };
    expect(info.schemaVersion).toBe(1);
    expect(info.chuid.fascn).toMatchObject({ agencyCode: '9999', lrcOk: true });
    expect(info.certificates['9A']).toMatchObject({ curve: 'P-256', uuid: ecCard.identity.uuid });
    expect(info.pin.triesLeft).toBe(3);
  });

  it('reads the same card through OpenSC with --pkcs11', async () => {
    const { code, stdout } = await dck(['info', '--pkcs11', OPENSC, '--reader', rsaReader(), '--json']);
    expect(code).toBe(0);
    const { token, certificate9A } = JSON.parse(stdout) as {
      token: { slotDescription: string };
      certificate9A: { sha256Fingerprint: string };
    };
    expect(token.slotDescription.startsWith(rsaReader())).toBe(true);
    expect(certificate9A.sha256Fingerprint).toBe(
      new X509Certificate(rsaCard.identity.pivAuth.der).fingerprint256.replace(/:/g, '').toLowerCase(),
    );
  });
});

describe('dck card verify-pin', () => {
  it('says correct, wrong with tries left, and refuses the last try unless told', async () => {
    expect(await dck(['verify-pin', '--reader', rsaReader()], `${DEMO_PIN}\n`)).toMatchObject({
      code: 0,
      stdout: 'correct\n',
    });
    expect(await dck(['verify-pin', '--reader', rsaReader()], `${WRONG_PINS[0]}\n`)).toMatchObject({
      code: 1,
      stdout: 'wrong: 2 tries left\n',
    });
    expect(await dck(['verify-pin', '--reader', rsaReader()], `${WRONG_PINS[1]}\n`)).toMatchObject({
      code: 1,
      stdout: 'wrong: 1 try left\n',
    });

    const refused = await dck(['verify-pin', '--reader', rsaReader(), '--json'], `${WRONG_PINS[2]}\n`);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toEqual({ result: 'refused-last-try', triesLeft: 1 });
    // Nothing was sent: the card still has its one try.
    expect((await dck(['info', '--reader', rsaReader()])).stdout).toContain('PIN tries left: 1');

    expect(await dck(['verify-pin', '--reader', rsaReader(), '--last-try'], `${DEMO_PIN}\n`)).toMatchObject({
      code: 0,
      stdout: 'correct\n',
    });
    expect((await dck(['info', '--reader', rsaReader()])).stdout).toContain('PIN tries left: 3');
  });

  it('goes through OpenSC with --pkcs11', async () => {
    expect(await dck(['verify-pin', '--reader', ecReader(), '--pkcs11', OPENSC], `${DEMO_PIN}\n`)).toMatchObject({
      code: 0,
      stdout: 'correct\n',
    });
    const wrong = await dck(['verify-pin', '--reader', ecReader(), '--pkcs11', OPENSC, '--json'], `${WRONG_PINS[0]}\n`);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ result: 'wrong' });
    expect(await dck(['verify-pin', '--reader', ecReader(), '--pkcs11', OPENSC], `${DEMO_PIN}\n`)).toMatchObject({
      code: 0,
    });
  });
});

describe('dck card sign', () => {
  const challenge = '5f3a9c0e11d2a4b6c8e0f1e2d3c4b5a6'.repeat(2);
  const kioskNonce = 'a5'.repeat(32); // no digit run a PIN could match: every output is checked for PINs

  it('signs the PKI-AUTH message (never the raw challenge) with 9A, and it verifies against the card certificate (RSA and P-256)', async () => {
    for (const [reader, card] of [
      [rsaReader(), rsaCard],
      [ecReader(), ecCard],
    ] as const) {
      const { code, stdout } = await dck(
        ['sign', '--challenge', challenge, '--reader', reader, '--json'],
        `${DEMO_PIN}\n`,
      );
      expect(code).toBe(0);
      const result = JSON.parse(stdout) as { signature: string; kioskNonce: string; verified: boolean; path: string };
      expect(result).toMatchObject({ verified: true, path: 'piv' });
      const publicKey = new X509Certificate(card.identity.pivAuth.der).publicKey;
      const signature = Buffer.from(result.signature, 'hex');
      const message = pkiAuthMessageBytes(Buffer.from(challenge, 'hex'), Buffer.from(result.kioskNonce, 'hex'));
      expect(verify('sha256', message, publicKey, signature)).toBe(true);
      expect(verify('sha256', Buffer.from(challenge, 'hex'), publicKey, signature)).toBe(false);
    }
  });

  it('gives the same RSA signature through OpenSC as through our card edge', async () => {
    const ours = await dck(
      ['sign', '--challenge', challenge, '--kiosk-nonce', kioskNonce, '--reader', rsaReader()],
      `${DEMO_PIN}\n`,
    );
    const opensc = await dck(
      ['sign', '--challenge', challenge, '--kiosk-nonce', kioskNonce, '--reader', rsaReader(), '--pkcs11', OPENSC],
      `${DEMO_PIN}\n`,
    );
    expect(ours.code).toBe(0);
    expect(opensc.code).toBe(0);
    expect(ours.stdout).toContain('verified: the signature matches the PIV Authentication (9A) certificate');
    expect(opensc.stdout.split('\n').slice(0, 2)).toEqual(ours.stdout.split('\n').slice(0, 2));
  });

  it('refuses to sign with a wrong PIN and says how many tries are left', async () => {
    const { code, stderr } = await dck(
      ['sign', '--challenge', challenge, '--reader', ecReader()],
      `${WRONG_PINS[1]}\n`,
    );
    expect(code).toBe(1);
    expect(stderr).toContain('wrong PIN: 2 tries left');
    expect(await dck(['verify-pin', '--reader', ecReader()], `${DEMO_PIN}\n`)).toMatchObject({ code: 0 });
  });
});

describe('bad input gets a clear message', () => {
  it.each([
    [['sign', '--challenge', '0g12'], /--challenge must be hexadecimal/],
    [['sign', '--challenge', 'abc'], /--challenge must be hexadecimal/],
    [['sign', '--challenge', 'ab'.repeat(257)], /too long/],
    [['sign', '--challenge', 'ab'.repeat(16)], /--challenge must be exactly 32 bytes/],
    [['sign', '--challenge', 'ab'.repeat(33)], /--challenge must be exactly 32 bytes/],
    [['sign', '--challenge', 'ab'.repeat(32), '--kiosk-nonce', 'ab'], /--kiosk-nonce must be exactly 32 bytes/],
    [['sign'], /--challenge HEX is required/],
    [['verify-pin'], /several readers hold a card; choose one with --reader/], // the only reader by default, like info and sign
    [['verify-pin', '--reader', 'x', '--pin', '123456'], /"--pin" is not an option/],
    [['info', '--reader'], /--reader needs a value/],
    [['frobnicate'], /unknown subcommand "frobnicate"/],
    [['list', '--reader', 'x'], /"--reader" is not an option of dck card list/],
  ])('dck card %j → exit 2', async (args, message) => {
    const { code, stderr } = await dck(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('names an unknown reader and lists the real ones', async () => {
    const { code, stderr } = await dck(['info', '--reader', 'Imaginary Reader']);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `dck card: the reader "Imaginary Reader" is not connected (readers: "${rsaReader()}", "${ecReader()}")`,
    );
  });

  it('says the reader is empty, and asks to choose when several cards are present', async () => {
    expect((await dck(['info'])).stderr).toContain('several readers hold a card; choose one with --reader');
    await ecCard.remove();
    await waitForReaderState(environment.env, ecReader(), 'empty');
    const empty = await dck(['info', '--reader', ecReader()]);
    expect(empty).toMatchObject({ code: 1 });
    expect(empty.stderr).toContain(`there is no card in the reader (${ecReader()})`);
    expect((await dck(['info', '--json'])).code).toBe(0); // one card left: it is chosen
    await ecCard.insert();
    await waitForReaderState(environment.env, ecReader(), 'present');
  });

  it('rejects a PIN that is not 6-8 digits without touching the card', async () => {
    const before = rsaCard.apduCount;
    const { code, stderr } = await dck(['verify-pin', '--reader', rsaReader()], '12ab\n');
    expect(code).toBe(1);
    expect(stderr).toContain('PIN must be 6 to 8 digits');
    expect(stderr).not.toContain('12ab');
    expect(rsaCard.apduCount).toBe(before);
  });

  it('says "smart card service not running" when pcscd is down', async () => {
    await environment.stopPcscd();
    try {
      for (const args of [['list'], ['info', '--reader', rsaReader()]]) {
        const { code, stderr } = await dck(args);
        expect(code).toBe(1);
        expect(stderr).toContain('smart card service not running');
      }
    } finally {
      await environment.startPcscd();
    }
  });
});

describe('a blocked card', () => {
  it('is reported as blocked, and no PIN is sent to it', async () => {
    await ecCard.stop();
    await waitForReaderState(environment.env, ecReader(), 'empty');
    ecCard = await startVirtualCard({ profile: 'blocked', port: environment.vpcdPort + 1, insert: true });
    await waitForReaderState(environment.env, ecReader(), 'present');
    expect((await dck(['info', '--reader', ecReader()])).stdout).toContain('PIN tries left: none — the PIN is BLOCKED');
    const verdict = await dck(['verify-pin', '--reader', ecReader(), '--last-try'], `${DEMO_PIN}\n`);
    expect(verdict).toMatchObject({ code: 1, stdout: 'blocked\n' });
    const signing = await dck(['sign', '--challenge', '00ff'.repeat(16), '--reader', ecReader()], `${DEMO_PIN}\n`);
    expect(signing.code).toBe(1);
    expect(signing.stderr).toContain('the PIN is blocked');
  });
});
