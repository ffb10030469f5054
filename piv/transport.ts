/**
 * The seam between the PIV card edge and whatever moves bytes to a card (PC/SC in `native/`,
 * the virtual card, a scripted test double), and `ApduChannel`, which layers the ISO 7816-4
 * transmission rules on top: command chaining, extended length, 6Cxx re-send and 61xx
 * response chaining, with a cap on the total response size.
 */
import {
  describeCommand,
  encodeCommandApdu,
  MAX_EXTENDED_LE,
  MAX_SHORT_DATA,
  MAX_SHORT_LE,
  needsExtendedLength,
  parseResponseApdu,
} from './apdu.ts';
import type { CommandApdu, ResponseApdu } from './apdu.ts';
import { concatBytes } from './tlv.ts';
import { isPivError, PivError } from './errors.ts';
import { isMoreDataAvailable, isWrongLe, lowByteCount, SW } from './status-words.ts';

/**
 * Sends one command APDU and resolves with the card's raw response including SW1SW2.
 * Implementations reject with a PivError 'card-removed' when the card is gone; any other
 * rejection is wrapped as 'transport-failure'. The command buffer may be zero-filled by the
 * caller after the promise settles, so implementations that keep it must copy it.
 */
export interface CardTransport {
  transmit(command: Uint8Array): Promise<Uint8Array>;
}

export interface ChannelOptions {
  /** Send extended-length APDUs when a command needs them (see supportsExtendedLength(atr)). */
  readonly extendedLength?: boolean;
  /** Cap on one response assembled from 61xx chaining. Default 128 KiB. */
  readonly maxResponseBytes?: number;
  /**
   * Overall time for one command: every chain link, 6Cxx re-send and GET RESPONSE it takes. Default
   * DEFAULT_COMMAND_DEADLINE_MS. The transport's own per-APDU limit does not bound a card that answers each
   * APDU slowly but never finishes (one byte and 61 01 every few seconds).
   */
  readonly commandDeadlineMs?: number;
}

/**
 * Measured: the slowest command of the kiosk flow on the virtual card and the OpenSC-tested cards is an RSA-2048
 * GENERAL AUTHENTICATE at well under 2 s; reading a 2 KB certificate with short APDUs is ~9 exchanges. 15 s leaves a
 * slow card room and still ends a hung one long before a person gives up on the kiosk.
 */
export const DEFAULT_COMMAND_DEADLINE_MS = 15_000;

const GET_RESPONSE_INS = 0xc0;
const CHAINING_BIT = 0x10;
const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024;

export class ApduChannel {
  readonly extendedLength: boolean;
  readonly maxResponseBytes: number;
  readonly commandDeadlineMs: number;
  #transmitted = 0;
  /** Set when a command missed its deadline: the card is not trusted with another APDU on this channel. */
  #expired: string | null = null;

  constructor(
    private readonly transport: CardTransport,
    options: ChannelOptions = {},
  ) {
    this.extendedLength = options.extendedLength ?? false;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.commandDeadlineMs = options.commandDeadlineMs ?? DEFAULT_COMMAND_DEADLINE_MS;
  }

  /** Number of APDUs sent so far (benchmarks compare this against other middleware). */
  get apduCount(): number {
    return this.#transmitted;
  }

  /** The largest Le this channel can ask for in one APDU. */
  get maxLe(): number {
    return this.extendedLength ? MAX_EXTENDED_LE : MAX_SHORT_LE;
  }

  /**
   * Sends a command with all transmission rules applied. Resolves with the assembled data and the
   * final status word, which may be an error status: interpreting it is the caller's job.
   */
  async send(command: CommandApdu): Promise<ResponseApdu> {
    this.#refuseIfExpired();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#expired = `${describeCommand(command)}: the card did not finish within ${this.commandDeadlineMs / 1000} s`;
        reject(new PivError('card-timeout', this.#expired));
      }, this.commandDeadlineMs);
    });
    try {
      // The losing exchange stops at its next APDU (#refuseIfExpired in transmitOnce); its rejection is handled here.
      return await Promise.race([this.#sendUnbounded(command), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  #refuseIfExpired(): void {
    if (this.#expired !== null)
      throw new PivError('card-timeout', `${this.#expired}; reconnect to the card to try again`);
  }

  async #sendUnbounded(command: CommandApdu): Promise<ResponseApdu> {
    const dataLength = command.data?.length ?? 0;
    if (dataLength > MAX_SHORT_DATA && !this.extendedLength) return this.sendChained(command);
    const le = command.le === undefined ? undefined : Math.min(command.le, this.maxLe);
    return this.sendWithResponseRules({ ...command, le });
  }

  /** Command chaining (CLA bit 0x10) for data longer than a short APDU can carry. */
  private async sendChained(command: CommandApdu): Promise<ResponseApdu> {
    const data = command.data ?? new Uint8Array(0);
    for (let offset = 0; ; offset += MAX_SHORT_DATA) {
      const chunk = data.subarray(offset, offset + MAX_SHORT_DATA);
      const last = offset + MAX_SHORT_DATA >= data.length;
      if (last) {
        const le = command.le === undefined ? undefined : Math.min(command.le, MAX_SHORT_LE);
        return this.sendWithResponseRules({ ...command, data: chunk, le });
      }
      const link: CommandApdu = { ...command, cla: command.cla | CHAINING_BIT, data: chunk, le: undefined };
      const response = await this.transmitOnce(link);
      if (response.sw !== SW.SUCCESS) return response; // the card refused the chain; caller maps the SW
    }
  }

  private async sendWithResponseRules(command: CommandApdu): Promise<ResponseApdu> {
    let response = await this.transmitOnce(command);
    if (isWrongLe(response.sw)) {
      // 6Cxx: the card tells us the exact Le; re-send once with it (a second 6Cxx is an error).
      response = await this.transmitOnce({ ...command, le: lowByteCount(response.sw) });
    }
    return this.collectMoreData(response, command);
  }

  /** 61xx: fetch the rest with GET RESPONSE until the card says it is done. */
  private async collectMoreData(first: ResponseApdu, command: CommandApdu): Promise<ResponseApdu> {
    if (!isMoreDataAvailable(first.sw)) return first;
    const parts: Uint8Array[] = [first.data];
    let total = first.data.length;
    let response = first;
    while (isMoreDataAvailable(response.sw)) {
      const getResponse: CommandApdu = {
        cla: command.cla & ~CHAINING_BIT & 0xff,
        ins: GET_RESPONSE_INS,
        p1: 0,
        p2: 0,
        le: lowByteCount(response.sw),
      };
      response = await this.transmitOnce(getResponse);
      if (isWrongLe(response.sw)) response = await this.transmitOnce({ ...getResponse, le: lowByteCount(response.sw) });
      total += response.data.length;
      if (total > this.maxResponseBytes) {
        throw new PivError(
          'response-too-large',
          `${describeCommand(command)}: response exceeds ${this.maxResponseBytes} bytes`,
        );
      }
      // A card that keeps answering 61xx with no data would loop forever; treat it as broken.
      if (response.data.length === 0 && isMoreDataAvailable(response.sw)) {
        throw new PivError(
          'malformed-response',
          `${describeCommand(command)}: GET RESPONSE returned no data but more is announced`,
        );
      }
      parts.push(response.data);
    }
    return { data: concatBytes(parts), sw: response.sw };
  }

  private async transmitOnce(command: CommandApdu): Promise<ResponseApdu> {
    this.#refuseIfExpired();
    const encoded = encodeCommandApdu(command, this.extendedLength && needsExtendedLength(command));
    this.#transmitted += 1;
    try {
      const raw = await this.transport.transmit(encoded);
      const { data, sw } = parseResponseApdu(raw);
      if (data.length > this.maxResponseBytes) {
        throw new PivError(
          'response-too-large',
          `${describeCommand(command)}: response of ${data.length} bytes exceeds ${this.maxResponseBytes}`,
        );
      }
      // Copy: the transport may reuse its buffer.
      return { data: Uint8Array.from(data), sw };
    } catch (error) {
      throw transportError(error, command);
    } finally {
      if (command.sensitive === true) encoded.fill(0);
    }
  }
}

/** True for foreign errors that say the card is gone (e.g. native/pcsc's SmartCardError code 'card-removed'). */
function saysCardRemoved(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'card-removed';
}

function transportError(error: unknown, command: CommandApdu): PivError {
  if (isPivError(error)) return error;
  // A foreign error's text might quote the command bytes; for a PIN command it is not kept.
  const cause = command.sensitive === true ? undefined : error;
  if (saysCardRemoved(error))
    return new PivError('card-removed', `${describeCommand(command)}: the card was removed`, { cause });
  return new PivError('transport-failure', `${describeCommand(command)}: transmit failed`, { cause });
}
