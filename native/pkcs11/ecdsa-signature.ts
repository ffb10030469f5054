// PKCS#11's CKM_ECDSA returns the raw signature r || s (each half the curve's byte length); X.509
// verifiers, OpenSSL and the issuer expect DER: SEQUENCE { INTEGER r, INTEGER s }.

const MAX_HALF_BYTES = 66; // P-521

export function rawEcdsaToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 2 * MAX_HALF_BYTES) {
    throw new RangeError('an ECDSA signature must be r || s of equal, non-zero lengths');
  }
  const half = raw.length / 2;
  const r = derInteger(raw.subarray(0, half));
  const s = derInteger(raw.subarray(half));
  const body = new Uint8Array([...r, ...s]);
  return new Uint8Array([0x30, ...derLength(body.length), ...body]);
}

function derInteger(unsigned: Uint8Array): number[] {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start += 1;
  const digits = [...unsigned.subarray(start)];
  // A leading 1 bit would make the INTEGER negative: prefix a zero byte.
  if ((digits[0] ?? 0) & 0x80) digits.unshift(0);
  return [0x02, ...derLength(digits.length), ...digits];
}

function derLength(length: number): number[] {
  return length < 0x80 ? [length] : [0x81, length];
}
