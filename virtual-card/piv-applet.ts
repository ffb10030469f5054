/**
 * A PIV card application (SP 800-73-4 part 2) as a synchronous state machine: command APDU bytes
 * in, response APDU bytes out. Written independently of piv/ (the client) so that a shared
 * misreading of the spec cannot hide. Every input is hostile until decoded: malformed commands get
 * a status word, never an exception.
 *
 * Supported: SELECT (full or right-truncated PIV AID → Application Property Template), GET DATA,
 * VERIFY (application PIN 80, global PIN 00), CHANGE REFERENCE DATA, RESET RETRY COUNTER (PUK 81),
 * GENERAL AUTHENTICATE (sign/decrypt with 9A/9C/9D/9E),
 * GET RESPONSE (61xx chaining), command chaining (CLA 0x10), extended length, and — when configured —
 * YubiKey's GET VERSION (FD) and GET SERIAL (F8), which yubico-piv-tool asks for.
 */
import { concatBytes, parseTlvs, tlv } from './ber.ts';
import type { CardKey } from './card-keys.ts';
import { decodeCommandApdu } from './command-apdu.ts';
import type { CommandApdu } from './command-apdu.ts';

export const PIV_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00);
/** Shortest right-truncated PIV AID we accept: the NIST RID. */
const MIN_TRUNCATED_AID = 5;
/** Cap on data gathered through command chaining (a certificate PUT DATA is ~2 KB; be generous). */
const MAX_CHAINED_DATA = 16 * 1024;

export const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  INCORRECT_DATA: 0x6a80,
  NOT_FOUND: 0x6a82,
  INCORRECT_P1P2: 0x6a86,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

export type KeyReference = 0x9a | 0x9c | 0x9d | 0x9e;
export type PinReference = 0x80 | 0x00 | 0x81;

export interface PinConfig {
  /** 6–8 digits. */
  readonly value: string;
  /** Tries after a successful VERIFY (default 3). */
  readonly maxRetries?: number;
  /** Tries left at power-on (default maxRetries; 0 = blocked). */
  readonly retriesLeft?: number;
}

export interface PivAppletConfig {
  /** Data objects by tag (0x5FC102 CHUID, 0x7E discovery …), each the exact bytes GET DATA returns. */
  readonly objects: ReadonlyMap<number, Uint8Array>;
  readonly keys: ReadonlyMap<KeyReference, CardKey>;
  readonly applicationPin: PinConfig;
  /** Absent: the card has no global PIN (VERIFY 00 → 6A88). */
  readonly globalPin?: PinConfig;
  /** PIN Unblocking Key (reference 81) for RESET RETRY COUNTER; absent: unblocking is refused (6A88). */
  readonly puk?: PinConfig;
  /** Application label in the APT. */
  readonly label?: string;
  /** When set, GET VERSION / GET SERIAL answer like a YubiKey with these values. */
  readonly yubikey?: { readonly version: readonly [number, number, number]; readonly serial: number };
}

interface PinState {
  value: Uint8Array;
  readonly maxRetries: number;
  retriesLeft: number;
  verified: boolean;
}

/** Which PIN policy each key slot has (SP 800-73-4 table 4b). */
const KEY_PIN_POLICY: Readonly<Record<KeyReference, 'once' | 'always' | 'never'>> = {
  0x9a: 'once',
  0x9c: 'always',
  0x9d: 'once',
  0x9e: 'never',
};

export class PivApplet {
  private readonly pins = new Map<PinReference, PinState>();
  private selected = false;
  private pendingResponse: Uint8Array | undefined;
  private chain: { ins: number; p1: number; p2: number; parts: Uint8Array[]; size: number } | undefined;
  private apdus = 0;

  constructor(private readonly config: PivAppletConfig) {
    this.pins.set(0x80, pinState(config.applicationPin));
    if (config.globalPin) this.pins.set(0x00, pinState(config.globalPin));
    if (config.puk) this.pins.set(0x81, pinState(config.puk));
  }

  /** Command APDUs received since construction (not reset by power cycles): for benchmarks. */
  get apduCount(): number {
    return this.apdus;
  }

  /** Tries left for a PIN, for tests. */
  pinRetriesLeft(reference: PinReference): number | undefined {
    return this.pins.get(reference)?.retriesLeft;
  }

  /** Power-on / reset / power-off: volatile state goes, retry counters stay (they are in EEPROM). */
  reset(): void {
    this.selected = false;
    this.pendingResponse = undefined;
    this.chain = undefined;
    for (const pin of this.pins.values()) pin.verified = false;
  }

  transmit(command: Uint8Array): Uint8Array {
    this.apdus += 1;
    const decoded = decodeCommandApdu(command);
    if (!decoded.ok) return this.abandon(SW.WRONG_LENGTH);
    const apdu = decoded.apdu;
    if ((apdu.cla & ~0x10) !== 0) return this.abandon(SW.CLA_NOT_SUPPORTED);
    if (apdu.ins === 0xc0 && (apdu.cla & 0x10) === 0) return this.getResponse(apdu);
    this.pendingResponse = undefined;
    const whole = this.collectChain(apdu);
    if (typeof whole === 'number') return statusOnly(whole);
    return this.dispatch(whole);
  }

  /** Command chaining: returns the whole command once its last part arrives, or a status word. */
  private collectChain(apdu: CommandApdu): CommandApdu | number {
    const chained = (apdu.cla & 0x10) !== 0;
    const chain = this.chain;
    if (chain && (chain.ins !== apdu.ins || chain.p1 !== apdu.p1 || chain.p2 !== apdu.p2)) {
      this.chain = undefined;
      return SW.LAST_COMMAND_OF_CHAIN_EXPECTED;
    }
    if (chained) {
      const size = (chain?.size ?? 0) + apdu.data.length;
      if (size > MAX_CHAINED_DATA) {
        this.chain = undefined;
        return SW.WRONG_LENGTH;
      }
      this.chain = { ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, parts: [...(chain?.parts ?? []), apdu.data], size };
      return SW.OK;
    }
    if (!chain) return apdu;
    this.chain = undefined;
    if (chain.size + apdu.data.length > MAX_CHAINED_DATA) return SW.WRONG_LENGTH;
    return { ...apdu, data: concatBytes(...chain.parts, apdu.data) };
  }

  private dispatch(apdu: CommandApdu): Uint8Array {
    switch (apdu.ins) {
      case 0xa4:
        return this.select(apdu);
      case 0xfd:
        return this.getVersion(apdu);
      case 0xf8:
        return this.getSerial(apdu);
      case 0xcb:
      case 0x20:
      case 0x24:
      case 0x2c:
      case 0x87:
        if (!this.selected) return statusOnly(SW.CONDITIONS_NOT_SATISFIED);
        if (apdu.ins === 0xcb) return this.getData(apdu);
        if (apdu.ins === 0x20) return this.verify(apdu);
        if (apdu.ins === 0x24) return this.changeReferenceData(apdu);
        if (apdu.ins === 0x2c) return this.resetRetryCounter(apdu);
        return this.generalAuthenticate(apdu);
      default:
        return statusOnly(SW.INS_NOT_SUPPORTED);
    }
  }

  private select(apdu: CommandApdu): Uint8Array {
    if (apdu.p1 !== 0x04 || (apdu.p2 !== 0x00 && apdu.p2 !== 0x0c)) return statusOnly(SW.INCORRECT_P1P2);
    const aid = apdu.data;
    const isPiv =
      aid.length >= MIN_TRUNCATED_AID && aid.length <= PIV_AID.length && aid.every((b, i) => b === PIV_AID[i]);
    // A failed SELECT leaves the current selection as it was (ISO 7816-4).
    if (!isPiv) return statusOnly(SW.NOT_FOUND);
    this.selected = true;
    if (apdu.p2 === 0x0c) return statusOnly(SW.OK);
    return this.respond(apdu, this.applicationPropertyTemplate());
  }

  private applicationPropertyTemplate(): Uint8Array {
    const algorithms = [...new Set([...this.config.keys.values()].map((key) => key.algorithmId))].sort((a, b) => a - b);
    return tlv(
      0x61,
      tlv(0x4f, PIV_AID.subarray(5)),
      tlv(0x79, tlv(0x4f, PIV_AID.subarray(0, 5))),
      tlv(0x50, new TextEncoder().encode(this.config.label ?? 'DCK virtual PIV')),
      tlv(0xac, ...algorithms.map((id) => tlv(0x80, Uint8Array.of(id))), tlv(0x06, Uint8Array.of(0x00))),
    );
  }

  private getData(apdu: CommandApdu): Uint8Array {
    if (apdu.p1 !== 0x3f || apdu.p2 !== 0xff) return statusOnly(SW.INCORRECT_P1P2);
    const items = parseTlvs(apdu.data);
    const tagList = items?.length === 1 ? items[0] : undefined;
    if (!tagList || tagList.tag !== 0x5c || tagList.value.length < 1 || tagList.value.length > 3) {
      return statusOnly(SW.INCORRECT_DATA);
    }
    const tag = tagList.value.reduce((acc, b) => acc * 256 + b, 0);
    const object = this.config.objects.get(tag);
    if (!object) return statusOnly(SW.NOT_FOUND);
    return this.respond(apdu, object);
  }

  private verify(apdu: CommandApdu): Uint8Array {
    // VERIFY takes the PINs only; the PUK (81) is presented through RESET RETRY COUNTER.
    const pin = apdu.p2 === 0x81 ? undefined : this.pins.get(apdu.p2 as PinReference);
    if (apdu.p1 === 0xff) {
      // P1 = FF: reset the PIN's security status (SP 800-73-4 3.2.1).
      if (apdu.data.length !== 0 || !pin) return statusOnly(pin ? SW.WRONG_LENGTH : SW.REFERENCED_DATA_NOT_FOUND);
      pin.verified = false;
      return statusOnly(SW.OK);
    }
    if (apdu.p1 !== 0x00) return statusOnly(SW.INCORRECT_P1P2);
    if (!pin) return statusOnly(SW.REFERENCED_DATA_NOT_FOUND);
    if (apdu.data.length === 0) {
      if (pin.verified) return statusOnly(SW.OK);
      return statusOnly(pin.retriesLeft === 0 ? SW.AUTH_METHOD_BLOCKED : retriesStatus(pin.retriesLeft));
    }
    if (!isWellFormedPinBlock(apdu.data)) return statusOnly(SW.INCORRECT_DATA);
    return statusOnly(checkAgainst(pin, apdu.data));
  }

  /** CHANGE REFERENCE DATA: old value (8 bytes) then new value (8 bytes), for the PIN or PUK in P2. */
  private changeReferenceData(apdu: CommandApdu): Uint8Array {
    if (apdu.p1 !== 0x00) return statusOnly(SW.INCORRECT_P1P2);
    const target = this.pins.get(apdu.p2 as PinReference);
    if (!target) return statusOnly(SW.REFERENCED_DATA_NOT_FOUND);
    const isPuk = apdu.p2 === 0x81;
    const [current, next] = [apdu.data.subarray(0, 8), apdu.data.subarray(8)];
    if (apdu.data.length !== 16 || !isAcceptableBlock(current, isPuk) || !isAcceptableBlock(next, isPuk)) {
      return statusOnly(SW.INCORRECT_DATA);
    }
    const checked = checkAgainst(target, current);
    if (checked !== SW.OK) return statusOnly(checked);
    target.value = Uint8Array.from(next);
    return statusOnly(SW.OK);
  }

  /** RESET RETRY COUNTER: PUK (8 bytes) then a new application PIN (8 bytes). */
  private resetRetryCounter(apdu: CommandApdu): Uint8Array {
    if (apdu.p1 !== 0x00 || apdu.p2 !== 0x80) return statusOnly(SW.INCORRECT_P1P2);
    const puk = this.pins.get(0x81);
    const pin = this.pins.get(0x80);
    if (!puk || !pin) return statusOnly(SW.REFERENCED_DATA_NOT_FOUND);
    const [pukBlock, newPin] = [apdu.data.subarray(0, 8), apdu.data.subarray(8)];
    if (apdu.data.length !== 16 || !isAcceptableBlock(pukBlock, true) || !isWellFormedPinBlock(newPin)) {
      return statusOnly(SW.INCORRECT_DATA);
    }
    const checked = checkAgainst(puk, pukBlock);
    if (checked !== SW.OK) return statusOnly(checked);
    puk.verified = false;
    pin.value = Uint8Array.from(newPin);
    pin.retriesLeft = pin.maxRetries;
    pin.verified = false;
    return statusOnly(SW.OK);
  }

  private generalAuthenticate(apdu: CommandApdu): Uint8Array {
    const reference = apdu.p2 as KeyReference;
    const key = this.config.keys.get(reference);
    if (!key || key.algorithmId !== apdu.p1) return statusOnly(SW.INCORRECT_P1P2);
    const policy = KEY_PIN_POLICY[reference];
    if (policy !== 'never' && !this.pinVerified()) return statusOnly(SW.SECURITY_STATUS_NOT_SATISFIED);
    const challenge = signatureChallenge(apdu.data);
    if (!challenge) return statusOnly(SW.INCORRECT_DATA);
    // PIN-always (9C): the verification is consumed by this one use, whatever its outcome.
    if (policy === 'always') for (const pin of this.pins.values()) pin.verified = false;
    const result = key.operate(challenge);
    if (!result.ok) return statusOnly(SW.INCORRECT_DATA);
    return this.respond(apdu, tlv(0x7c, tlv(0x82, result.value)));
  }

  private getVersion(apdu: CommandApdu): Uint8Array {
    const yubikey = this.config.yubikey;
    if (!yubikey) return statusOnly(SW.INS_NOT_SUPPORTED);
    return this.respond(apdu, Uint8Array.from(yubikey.version));
  }

  private getSerial(apdu: CommandApdu): Uint8Array {
    const yubikey = this.config.yubikey;
    if (!yubikey) return statusOnly(SW.INS_NOT_SUPPORTED);
    const serial = yubikey.serial >>> 0;
    return this.respond(
      apdu,
      Uint8Array.of(serial >>> 24, (serial >>> 16) & 0xff, (serial >>> 8) & 0xff, serial & 0xff),
    );
  }

  private getResponse(apdu: CommandApdu): Uint8Array {
    const pending = this.pendingResponse;
    this.pendingResponse = undefined;
    if (!pending) return statusOnly(SW.CONDITIONS_NOT_SATISFIED);
    if (apdu.p1 !== 0 || apdu.p2 !== 0) return statusOnly(SW.INCORRECT_P1P2);
    return this.respond(apdu, pending);
  }

  private pinVerified(): boolean {
    return this.pins.get(0x80)?.verified === true || this.pins.get(0x00)?.verified === true;
  }

  /** Sends what fits in Le; the rest waits for GET RESPONSE behind 61xx. */
  private respond(apdu: CommandApdu, data: Uint8Array): Uint8Array {
    const room = apdu.le ?? (apdu.extended ? 65536 : 256);
    if (data.length <= room) return withStatus(data, SW.OK);
    const rest = data.slice(room);
    this.pendingResponse = rest;
    return withStatus(data.subarray(0, room), 0x6100 | (rest.length >= 256 ? 0 : rest.length));
  }

  private abandon(sw: number): Uint8Array {
    this.pendingResponse = undefined;
    this.chain = undefined;
    return statusOnly(sw);
  }
}

function pinState(config: PinConfig): PinState {
  if (!/^[0-9]{6,8}$/.test(config.value)) throw new Error('piv-applet: a PIN is 6 to 8 digits');
  const maxRetries = config.maxRetries ?? 3;
  const block = new Uint8Array(8).fill(0xff);
  block.set(new TextEncoder().encode(config.value));
  return { value: block, maxRetries, retriesLeft: config.retriesLeft ?? maxRetries, verified: false };
}

/**
 * Compares a candidate with a PIN/PUK, keeping the retry counter: success resets it and sets the
 * security status; failure costs one try and clears it; at zero tries the reference is blocked.
 */
function checkAgainst(pin: PinState, candidate: Uint8Array): number {
  if (pin.retriesLeft === 0) return SW.AUTH_METHOD_BLOCKED;
  if (equalBytes(candidate, pin.value)) {
    pin.retriesLeft = pin.maxRetries;
    pin.verified = true;
    return SW.OK;
  }
  pin.retriesLeft -= 1;
  pin.verified = false;
  return retriesStatus(pin.retriesLeft);
}

/** PINs must be digits + FF padding; a PUK is any 8 bytes (SP 800-73-4 §2.4.3). */
function isAcceptableBlock(block: Uint8Array, isPuk: boolean): boolean {
  return isPuk ? block.length === 8 : isWellFormedPinBlock(block);
}

/** 8 bytes: 6–8 ASCII digits, then 0xFF padding only. */
function isWellFormedPinBlock(block: Uint8Array): boolean {
  if (block.length !== 8) return false;
  let digits = 0;
  while (digits < 8 && (block[digits] ?? 0) >= 0x30 && (block[digits] ?? 0) <= 0x39) digits += 1;
  if (digits < 6) return false;
  return block.subarray(digits).every((b) => b === 0xff);
}

/** 7C { 82 00 (response wanted), 81 challenge }, in either order; undefined when malformed. */
function signatureChallenge(data: Uint8Array): Uint8Array | undefined {
  const outer = parseTlvs(data);
  const template = outer?.length === 1 ? outer[0] : undefined;
  if (!template || template.tag !== 0x7c) return undefined;
  const inner = parseTlvs(template.value);
  if (!inner) return undefined;
  const response = inner.filter((item) => item.tag === 0x82);
  const challenge = inner.filter((item) => item.tag === 0x81);
  if (response.length !== 1 || response[0]?.value.length !== 0 || challenge.length !== 1) return undefined;
  if (inner.length !== 2) return undefined;
  return challenge[0]?.value;
}

function retriesStatus(retriesLeft: number): number {
  return 0x63c0 | Math.min(retriesLeft, 15);
}

function statusOnly(sw: number): Uint8Array {
  return Uint8Array.of(sw >> 8, sw & 0xff);
}

function withStatus(data: Uint8Array, sw: number): Uint8Array {
  return concatBytes(data, statusOnly(sw));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
