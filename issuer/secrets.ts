// Random values the issuer mints, and how it keeps them: only hashes are stored.
// - High-entropy tokens (device_code, access tokens, kiosk sessions): SHA-256 is enough to make a stolen
//   database useless, since guessing 256 random bits is hopeless.
// - Low-entropy codes (8-digit OTP ≈ 26.6 bits, user_code ≈ 34.6 bits): a plain hash would be brute-forced
//   offline in seconds, so they are HMAC-SHA-256'd with a server secret kept outside the database, and bound
//   to the record they belong to.
import { createHash, createHmac, randomFillSync, randomInt, timingSafeEqual } from 'node:crypto';
import { USER_CODE_ALPHABET, USER_CODE_LENGTH } from '../contracts/user-code.ts';

// Ids and tokens come from a pool filled 4 KiB at a time: one CSPRNG call per ~100 enrollments instead of eight
// per enrollment. Each byte is handed out once (the offset only moves forward; a refill overwrites the lot), and
// is zeroed as it is handed out, so the pool never holds a token that is already in use.
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomText(bytes: number): string {
  if (bytes > POOL_BYTES) return randomFillSync(Buffer.allocUnsafe(bytes)).toString('base64url');
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const text = pool.toString('base64url', poolOffset, poolOffset + bytes);
  pool.fill(0, poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return text;
}

export function newOpaqueToken(bytes = 32): string {
  return randomText(bytes);
}

export function newRecordId(): string {
  return randomText(16);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Canonical user_code (no dash), uniform over the consonant alphabet. */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i += 1) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** Numeric one-time password with uniform digits from the CSPRNG. */
export function newOtp(length: number): string {
  let otp = '';
  for (let i = 0; i < length; i += 1) otp += String(randomInt(10));
  return otp;
}

/**
 * What a keyed hash is for: a stored code's hash, the number-matching number derived from the secret, or an audit
 * search's page cursor (issuer/agent/audit-search.ts: only the issuer can say "this page continues that search").
 */
export type CodePurpose = 'user-code' | 'otp' | 'match-number' | 'audit-page';

export class CodeHasher {
  constructor(private readonly serverSecret: Uint8Array) {
    if (serverSecret.length < 32) throw new Error('server secret must be at least 32 bytes');
  }

  /** Keyed hash of a short code, bound to its purpose and record (an OTP of one enrollment fits no other). */
  hash(purpose: CodePurpose, recordId: string, code: string): string {
    return createHmac('sha256', this.serverSecret)
      .update(`${purpose}\0${recordId}\0${code}`, 'utf8')
      .digest('base64url');
  }

  matches(expectedHash: string, purpose: CodePurpose, recordId: string, code: string): boolean {
    const expected = Buffer.from(expectedHash, 'base64url');
    const actual = Buffer.from(this.hash(purpose, recordId, code), 'base64url');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
