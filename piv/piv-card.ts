/**
 * A PIV card application (SP 800-73-4 Part 2) over a CardTransport. Each method sends only the
 * APDUs its step needs; SELECT is sent once per PivCard, on first use, unless `select()` is
 * called explicitly.
 */
import type {
  ApplicationInfo,
  CertificateSlot,
  ChuidInfo,
  DiscoveryInfo,
  PinReferenceName,
  PinTries,
} from '../contracts/card.ts';
import type { CommandApdu, ResponseApdu } from './apdu.ts';
import { supportsExtendedLength } from './atr.ts';
import type { CertificateObject } from './certificate-object.ts';
import { parseCertificateObject } from './certificate-object.ts';
import { parseChuidObject } from './chuid.ts';
import { parseDiscoveryObject, PIN_REFERENCE } from './discovery.ts';
import { errorForStatusWord, PivError } from './errors.ts';
import { CERTIFICATE_OBJECT, getDataCommand, hexOf, KEY_REFERENCE, OBJECT_TAG, PIV_AID } from './objects.ts';
import { ALGORITHM_ID, signingInput } from './signing-input.ts';
import type { KeyAlgorithm } from './signing-input.ts';
import type { CardCapabilityContainer, KeyHistory } from './small-objects.ts';
import { parseCccObject, parseKeyHistoryObject } from './small-objects.ts';
import { isVerifyCounter, SW } from './status-words.ts';
import { encodeTlv, encodeTlvs, findValue, parseSingleTlv, parseTlvs, parseTlvTree } from './tlv.ts';
import { ApduChannel } from './transport.ts';
import type { CardTransport, ChannelOptions } from './transport.ts';

export type { KeyAlgorithm } from './signing-input.ts';

/** A PIN by name, or by its key reference byte (0x80 application, 0x00 global). */
export type PinReference = PinReferenceName | 0x80 | 0x00;

export interface PivCardOptions extends ChannelOptions {
  /** The card's ATR: when `extendedLength` is not given, it is decided from the ATR's capabilities. */
  readonly atr?: Uint8Array;
}

const INS = { SELECT: 0xa4, VERIFY: 0x20, GENERAL_AUTHENTICATE: 0x87 } as const;
const PIN_MIN = 6;
const PIN_MAX = 8;
const PIN_PAD = 0xff;

function pinReferenceByte(reference: PinReference): number {
  return typeof reference === 'number' ? reference : PIN_REFERENCE[reference];
}

/** SP 800-73-4 Part 2 §2.4.3: 6-8 ASCII digits. Checked before anything is sent. */
export function assertPinFormat(pin: Uint8Array): void {
  const digitsOnly = pin.every((b) => b >= 0x30 && b <= 0x39);
  if (pin.length < PIN_MIN || pin.length > PIN_MAX || !digitsOnly) {
    throw new PivError('pin-format', `PIN must be ${PIN_MIN} to ${PIN_MAX} digits`);
  }
}

function parseApplicationTemplate(data: Uint8Array): ApplicationInfo {
  const fallback: ApplicationInfo = { aid: hexOf(PIV_AID), label: null, url: null, algorithms: [] };
  if (data.length === 0) return fallback; // some cards answer SELECT with 9000 and no template
  const template = parseSingleTlv(data, { trailing: 'allow-padding' });
  if (template.tag !== 0x61)
    throw new PivError('malformed-object', 'SELECT: Application Property Template (61) expected');
  const items = parseTlvTree(template.value, 4);
  const label = findValue(items, 0x50);
  const url = findValue(items, 0x5f50);
  const algorithms =
    items
      .find((i) => i.tag === 0xac)
      ?.children.filter((c) => c.tag === 0x80)
      .map((c) => c.value[0] ?? 0) ?? [];
  return {
    aid: hexOf(findValue(items, 0x4f) ?? PIV_AID),
    label: label === undefined ? null : Buffer.from(label).toString('utf8'),
    url: url === undefined ? null : Buffer.from(url).toString('utf8'),
    algorithms,
  };
}

/** Checks the card's ECDSA answer is a DER SEQUENCE of two INTEGERs (r, s). */
function assertDerEcdsaSignature(signature: Uint8Array): void {
  const sequence = parseSingleTlv(signature);
  const parts = sequence.tag === 0x30 ? parseTlvs(sequence.value) : [];
  if (parts.length !== 2 || parts.some((p) => p.tag !== 0x02 || p.value.length === 0)) {
    throw new PivError('malformed-response', 'GENERAL AUTHENTICATE: ECDSA signature is not DER (r, s)');
  }
}

export class PivCard {
  readonly #channel: ApduChannel;
  #application: ApplicationInfo | undefined;
  /**
   * Data objects already read through this PivCard. A PivCard lives for one card insertion and
   * never writes, so the objects cannot change underneath it; caching keeps the kiosk flow
   * (greeting, PIN, signature) from reading the same certificate twice. Nothing secret is cached.
   */
  readonly #objects = new Map<number, Uint8Array>();

  constructor(transport: CardTransport, options: PivCardOptions = {}) {
    const extendedLength =
      options.extendedLength ?? (options.atr === undefined ? false : supportsExtendedLength(options.atr));
    this.#channel = new ApduChannel(transport, { ...options, extendedLength });
  }

  /** APDUs sent through this PivCard so far (including GET RESPONSE and chain links). */
  get apduCount(): number {
    return this.#channel.apduCount;
  }

  get extendedLength(): boolean {
    return this.#channel.extendedLength;
  }

  /** SELECT the PIV application and parse its Application Property Template. */
  async select(): Promise<ApplicationInfo> {
    const response = await this.#channel.send({ cla: 0, ins: INS.SELECT, p1: 0x04, p2: 0x00, data: PIV_AID, le: 256 });
    if (response.sw === SW.FILE_NOT_FOUND)
      throw new PivError('not-found', 'no PIV application on this card', { sw: response.sw });
    this.#expectSuccess(response, 'SELECT PIV');
    this.#application = parseApplicationTemplate(response.data);
    return this.#application;
  }

  /** SELECT unless this PivCard already did. */
  async ensureSelected(): Promise<ApplicationInfo> {
    return this.#application ?? this.select();
  }

  /** GET DATA for one object; resolves with the raw response data (53 {...} or 7E {...}). */
  async readObject(objectTag: number): Promise<Uint8Array> {
    const cached = this.#objects.get(objectTag);
    if (cached !== undefined) return cached;
    await this.ensureSelected();
    const response = await this.#channel.send(getDataCommand(objectTag, this.#channel.maxLe));
    this.#expectSuccess(response, `GET DATA ${objectTag.toString(16).toUpperCase()}`);
    this.#objects.set(objectTag, response.data);
    return response.data;
  }

  async readChuid(): Promise<ChuidInfo> {
    return parseChuidObject(await this.readObject(OBJECT_TAG.CHUID));
  }

  async readDiscovery(): Promise<DiscoveryInfo> {
    return parseDiscoveryObject(await this.readObject(OBJECT_TAG.DISCOVERY));
  }

  async readCcc(): Promise<CardCapabilityContainer> {
    return parseCccObject(await this.readObject(OBJECT_TAG.CCC));
  }

  async readKeyHistory(): Promise<KeyHistory> {
    return parseKeyHistoryObject(await this.readObject(OBJECT_TAG.KEY_HISTORY));
  }

  /** The DER certificate of a slot (decompressed when stored compressed); 'not-found' when empty. */
  async readCertificate(slot: CertificateSlot): Promise<CertificateObject> {
    return parseCertificateObject(await this.readObject(CERTIFICATE_OBJECT[slot]));
  }

  /** Empty VERIFY: the PIN's retry counter without presenting a PIN. */
  async pinStatus(reference: PinReference): Promise<PinTries> {
    await this.ensureSelected();
    const response = await this.#channel.send({ cla: 0, ins: INS.VERIFY, p1: 0, p2: pinReferenceByte(reference) });
    if (response.sw === SW.SUCCESS) return 'verified';
    if (response.sw === SW.AUTH_METHOD_BLOCKED) return 'blocked';
    if (isVerifyCounter(response.sw)) {
      const tries = response.sw & 0x0f;
      return tries === 0 ? 'blocked' : tries;
    }
    throw errorForStatusWord(response.sw, 'VERIFY (status)');
  }

  /**
   * VERIFY a PIN. Does not take ownership of `pin` (the caller zero-fills it); the padded copy and
   * the encoded APDU are zero-filled here after transmit. Rejects with 'pin-format' (nothing sent),
   * 'wrong-pin' (triesLeft set), 'pin-blocked', or another typed error.
   */
  async verifyPin(pin: Uint8Array, reference: PinReference): Promise<void> {
    assertPinFormat(pin);
    await this.ensureSelected();
    const padded = new Uint8Array(PIN_MAX).fill(PIN_PAD);
    padded.set(pin);
    let response: ResponseApdu;
    try {
      response = await this.#channel.send({
        cla: 0,
        ins: INS.VERIFY,
        p1: 0,
        p2: pinReferenceByte(reference),
        data: padded,
        sensitive: true,
      });
    } finally {
      padded.fill(0);
    }
    if (response.sw === SW.SUCCESS) return;
    if (response.sw === SW.AUTH_METHOD_BLOCKED || response.sw === SW.VERIFY_FAIL_BASE) {
      throw new PivError('pin-blocked', 'VERIFY: the PIN is blocked', { sw: response.sw, triesLeft: 0 });
    }
    throw errorForStatusWord(response.sw, 'VERIFY');
  }

  /**
   * GENERAL AUTHENTICATE: sign `message` with the key in `slot`. The host hashes (SHA-256 for
   * RSA-2048 and P-256, SHA-384 for P-384) and, for RSA, builds the PKCS#1 v1.5 block.
   * Resolves with the raw RSA signature (256 bytes) or the DER ECDSA signature.
   */
  async sign(slot: CertificateSlot, algorithm: KeyAlgorithm, message: Uint8Array): Promise<Uint8Array> {
    await this.ensureSelected();
    const template = encodeTlvs([
      [0x82, new Uint8Array(0)],
      [0x81, signingInput(algorithm, message)],
    ]);
    const command: CommandApdu = {
      cla: 0,
      ins: INS.GENERAL_AUTHENTICATE,
      p1: ALGORITHM_ID[algorithm],
      p2: KEY_REFERENCE[slot],
      data: encodeTlv(0x7c, template),
      le: this.#channel.maxLe,
    };
    const response = await this.#channel.send(command);
    this.#expectSuccess(response, `GENERAL AUTHENTICATE ${slot}`);
    const outer = parseSingleTlv(response.data, { trailing: 'allow-padding' });
    const signature = outer.tag === 0x7c ? findValue(parseTlvs(outer.value), 0x82) : undefined;
    if (signature === undefined)
      throw new PivError('malformed-response', 'GENERAL AUTHENTICATE: no 7C/82 signature in the answer');
    if (algorithm === 'RSA-2048' && signature.length !== 256) {
      throw new PivError('malformed-response', `GENERAL AUTHENTICATE: RSA-2048 signature of ${signature.length} bytes`);
    }
    if (algorithm !== 'RSA-2048') assertDerEcdsaSignature(signature);
    return Uint8Array.from(signature);
  }

  #expectSuccess(response: ResponseApdu, what: string): void {
    if (response.sw !== SW.SUCCESS) throw errorForStatusWord(response.sw, what);
  }
}
