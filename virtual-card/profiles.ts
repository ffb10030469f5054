/**
 * Virtual card profiles, each built fresh from the test PKI (no key material is stored anywhere).
 *
 * DEMO CARD: the PIN of every profile is 123456 (DEMO_PIN) unless options.pin says otherwise. In
 * 'global-pin' that PIN is the global PIN and the application PIN is 12345678, so a client that
 * verifies the wrong reference fails.
 *
 *   rsa2048     RSA-2048 PIV Auth key (9A) — the default
 *   p256        ECC P-256 PIV Auth key
 *   p384        ECC P-384 PIV Auth key
 *   compressed  RSA-2048, 9A certificate stored gzip-compressed (CertInfo 0x01)
 *   global-pin  discovery object says the global PIN is primary
 *   blocked     application PIN blocked (0 tries left)
 *   expired     the PIV Auth certificate expired yesterday
 *   empty-discovery  the discovery object is present but zero-length (7E 00), as on GSA's ICAM test card 25:
 *               a client must fall back to the application PIN
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cardKeyFromPkcs8 } from './card-keys.ts';
import {
  OBJECT_TAG,
  cardCapabilityContainer,
  certificateObject,
  chuidObject,
  chuidSignedContent,
  discoveryObject,
  keyHistoryObject,
} from './card-objects.ts';
import type { KeyReference, PivAppletConfig } from './piv-applet.ts';
import { signChuidContent } from './chuid-signature.ts';
import { DEFAULT_TEST_FASCN_HEX, createTestPki, issueContentSigningCertificate } from './test-pki.ts';
import type { CardKeyAlgorithm, IssuedCardCertificate, TestPki } from './test-pki.ts';

export const PROFILE_NAMES = [
  'rsa2048',
  'p256',
  'p384',
  'compressed',
  'global-pin',
  'blocked',
  'expired',
  'empty-discovery',
] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The demo card's PIN (it is a demo card: do not reuse it anywhere). */
export const DEMO_PIN = '123456';
/** The demo card's PIN Unblocking Key (RESET RETRY COUNTER), like a YubiKey's factory PUK. */
export const DEMO_PUK = '12345678';
/** Application PIN of the 'global-pin' profile, where DEMO_PIN is the global PIN. */
export const GLOBAL_PIN_PROFILE_APPLICATION_PIN = '12345678';
/** Card Authentication certificate policy (id-fpki-common-cardAuth). */
const CARD_AUTH_POLICY_OID = '2.16.840.1.101.3.2.1.3.17';
const DAY_MS = 86_400_000;
/** A discovery object with no content, exactly as GSA's ICAM test card 25 carries it. */
const EMPTY_DISCOVERY_OBJECT = Uint8Array.of(0x7e, 0x00);

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** What tests need to know about a card: who it says it is, and its keys. */
export interface VirtualCardIdentity {
  readonly profile: ProfileName;
  /** The PIN a user types (the primary PIN of this profile). */
  readonly pin: string;
  /** PIN reference of that PIN: 0x80 application, 0x00 global. */
  readonly pinReference: 0x80 | 0x00;
  readonly uuid: string;
  readonly fascnHex: string;
  readonly pki: TestPki;
  /** Slot 9A. */
  readonly pivAuth: IssuedCardCertificate;
  /** Slot 9E. */
  readonly cardAuth: IssuedCardCertificate;
  /** The CHUID object as GET DATA returns it. */
  readonly chuid: Uint8Array;
  /** Certificate that signed the CHUID (undefined when unsigned). */
  readonly chuidSigner: IssuedCardCertificate | undefined;
}

export interface BuiltProfile {
  readonly identity: VirtualCardIdentity;
  readonly applet: PivAppletConfig;
  /** The same applet as plain data (keys as PKCS#8), to rebuild it on another thread (threaded-virtual-card.ts). */
  readonly portableApplet: PortableAppletConfig;
}

/** A PivAppletConfig that survives postMessage: key operations are closures, so the keys travel as PKCS#8. */
export interface PortableAppletConfig extends Omit<PivAppletConfig, 'keys'> {
  readonly keys: readonly PortableCardKey[];
}

export interface PortableCardKey {
  readonly reference: KeyReference;
  readonly pkcs8: Uint8Array;
  readonly keyAlgorithm: CardKeyAlgorithm;
}

/** Rebuilds the applet configuration from its portable form (on the card's own thread). */
export function appletFromPortable(portable: PortableAppletConfig): PivAppletConfig {
  return {
    ...portable,
    keys: new Map(portable.keys.map((key) => [key.reference, cardKeyFromPkcs8(key.pkcs8, key.keyAlgorithm)])),
  };
}

export interface BuildProfileOptions {
  /** Reuse a PKI (e.g. the one an issuer under test trusts); a fresh one otherwise. */
  readonly pki?: TestPki;
  readonly commonName?: string;
  readonly uuid?: string;
  readonly fascnHex?: string;
  /** Leave the CHUID's issuer signature empty (default: signed by a content signer of the PKI). */
  readonly unsignedChuid?: boolean;
  /** The primary PIN instead of DEMO_PIN (6–8 digits). */
  readonly pin?: string;
}

export async function buildProfile(profile: ProfileName, options: BuildProfileOptions = {}): Promise<BuiltProfile> {
  const pki = options.pki ?? (await createTestPki());
  const uuid = options.uuid ?? randomUUID();
  const fascn = options.fascnHex ?? DEFAULT_TEST_FASCN_HEX;
  const keyAlgorithm: CardKeyAlgorithm = profile === 'p256' ? 'P-256' : profile === 'p384' ? 'P-384' : 'RSA-2048';
  const now = Date.now();
  const validity =
    profile === 'expired' ? { notBefore: new Date(now - 3 * 365 * DAY_MS), notAfter: new Date(now - DAY_MS) } : {};
  const commonName = options.commonName ?? 'Demo Cardholder';
  const pivAuth = await pki.issueCardCertificate({ keyAlgorithm, commonName, uuid, fascn, ...validity });
  const cardAuth = await pki.issueCardCertificate({
    keyAlgorithm: 'P-256',
    commonName: 'Card Authentication',
    uuid,
    fascn,
    policies: [CARD_AUTH_POLICY_OID],
  });
  const chuidContent = chuidSignedContent({ fascn: pivAuth.fascn, uuid, expiration: new Date(now + 5 * 365 * DAY_MS) });
  const contentSigner =
    options.unsignedChuid === true ? undefined : await issueContentSigningCertificate(pki.intermediate);
  const chuid = chuidObject(
    chuidContent,
    contentSigner ? await signChuidContent(chuidContent, contentSigner) : undefined,
  );
  const globalPinPrimary = profile === 'global-pin';
  const pin = options.pin ?? DEMO_PIN;
  if (!/^[0-9]{6,8}$/.test(pin)) throw new Error('profiles: the PIN must be 6 to 8 digits');
  const objects = new Map<number, Uint8Array>([
    [
      OBJECT_TAG.CARD_CAPABILITY_CONTAINER,
      cardCapabilityContainer(Uint8Array.from([0xa0, 0x00, 0x00, 0x01, 0x16, 0xff, 0x02, ...randomBytes(14)])),
    ],
    [OBJECT_TAG.CHUID, chuid],
    [OBJECT_TAG.DISCOVERY, profile === 'empty-discovery' ? EMPTY_DISCOVERY_OBJECT : discoveryObject(globalPinPrimary)],
    [OBJECT_TAG.KEY_HISTORY, keyHistoryObject()],
    [OBJECT_TAG.CERT_9A, certificateObject(pivAuth.der, profile === 'compressed')],
    [OBJECT_TAG.CERT_9E, certificateObject(cardAuth.der, false)],
  ]);
  const portableKeys: PortableCardKey[] = [
    { reference: 0x9a, pkcs8: pivAuth.privateKeyPkcs8, keyAlgorithm },
    { reference: 0x9e, pkcs8: cardAuth.privateKeyPkcs8, keyAlgorithm: 'P-256' },
  ];
  const portableApplet: PortableAppletConfig = {
    objects,
    keys: portableKeys,
    applicationPin: {
      value: globalPinPrimary
        ? pin === GLOBAL_PIN_PROFILE_APPLICATION_PIN
          ? DEMO_PIN
          : GLOBAL_PIN_PROFILE_APPLICATION_PIN
        : pin,
      ...(profile === 'blocked' ? { retriesLeft: 0 } : {}),
    },
    ...(globalPinPrimary ? { globalPin: { value: pin } } : {}),
    puk: { value: DEMO_PUK },
    label: `DCK virtual PIV (${profile})`,
    yubikey: { version: [5, 4, 3], serial: 10_000_000 + Math.floor(Math.random() * 1_000_000) },
  };
  const applet = appletFromPortable(portableApplet);
  const identity: VirtualCardIdentity = {
    profile,
    pin,
    pinReference: globalPinPrimary ? 0x00 : 0x80,
    uuid: pivAuth.uuid,
    fascnHex: Buffer.from(pivAuth.fascn).toString('hex'),
    pki,
    pivAuth,
    cardAuth,
    chuid,
    chuidSigner: contentSigner,
  };
  return { identity, applet, portableApplet };
}
