// What `dck phone start` remembers for `poll` and `redeem`: the issuer, the CA file to trust, the device flow,
// the token and, at the end, the credential. The directory is 0700 and every file 0600: it holds bearer tokens
// and the private key, as a phone's app-private storage would.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Type, { type Static } from 'typebox';
import { Value } from 'typebox/value';

const MAX_STATE_BYTES = 64 * 1024;

export const PhoneState = Type.Object(
  {
    version: Type.Literal(1),
    issuerUrl: Type.String({ maxLength: 2000 }),
    caFile: Type.Union([Type.String({ maxLength: 4096 }), Type.Null()]),
    /**
     * This phone's own id, made at its first `start` and kept by later ones: the issuer revokes the older credential
     * of the same card and device as superseded when a renewal is issued.
     */
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' })),
    flow: Type.Optional(
      Type.Object({
        deviceCode: Type.String({ maxLength: 100 }),
        userCode: Type.String({ maxLength: 9 }),
        verificationUri: Type.String({ maxLength: 2000 }),
        intervalSeconds: Type.Integer({ minimum: 1, maximum: 3600 }),
        expiresAt: Type.Number(),
      }),
    ),
    token: Type.Optional(
      Type.Object({
        accessToken: Type.String({ maxLength: 100 }),
        enrollmentId: Type.String({ maxLength: 64 }),
        expiresAt: Type.Number(),
      }),
    ),
    credential: Type.Optional(
      Type.Object({
        certificateFile: Type.String({ maxLength: 4096 }),
        keyFile: Type.String({ maxLength: 4096 }),
        serialNumberHex: Type.String({ maxLength: 80 }),
        notAfter: Type.String({ maxLength: 40 }),
      }),
    ),
  },
  { additionalProperties: false },
);
export type PhoneState = Static<typeof PhoneState>;

export function defaultStateDir(): string {
  return process.env.DCK_PHONE_STATE_DIR ?? join(homedir(), '.dck', 'phone');
}

export type StateLoad = { ok: true; state: PhoneState } | { ok: false; message: string };

export async function loadState(dir: string): Promise<StateLoad> {
  let text: string;
  try {
    const content = await readFile(join(dir, 'state.json'));
    if (content.length > MAX_STATE_BYTES)
      return { ok: false, message: `${dir}/state.json is too large to be phone state` };
    text = content.toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      message:
        code === 'ENOENT'
          ? `no phone state in ${dir}: run \`dck phone start --issuer URL\` first`
          : `cannot read ${dir}/state.json (${code ?? 'error'})`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, message: `${dir}/state.json is not JSON; run \`dck phone start\` again` };
  }
  if (!Value.Check(PhoneState, parsed))
    return { ok: false, message: `${dir}/state.json is not phone state; run \`dck phone start\` again` };
  return { ok: true, state: parsed };
}

export async function saveState(dir: string, state: PhoneState): Promise<void> {
  await writePrivateFile(dir, 'state.json', `${JSON.stringify(state, null, 2)}\n`);
}

/** Writes atomically (temp file + rename) with mode 0600 inside a 0700 directory. */
export async function writePrivateFile(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  // A directory this call creates is 0700; an existing one the user chose keeps its mode (files are 0600).
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, name);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await chmod(temporary, 0o600); // the umask may have narrowed it further, never widened: make it exact
  await rename(temporary, target);
  return target;
}
