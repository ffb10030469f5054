// What binds a new derived credential besides its card and enrollment: the device as the person confirmed it at the
// kiosk (number matching), the
// tenant and issuer generation, and where the card's PIV Authentication certificate publishes its revocation (for
// the eligibility monitor). The card's certificate passed PKI-AUTH's strict checks before it was stored.
import { readCertificateFields } from '../pki-auth/certificate-fields.ts';
import { crlDistributionUrls, ocspUrls } from '../pki-auth/revocation/revocation-urls.ts';
import type {
  CardRevocationSources,
  DeviceAuthorizationRecord,
  DeviceReport,
  EnrollmentRecord,
} from '../storage/issuer-storage.ts';

/** One tenant per issuer instance (DESIGN.md): its credentials carry this name, ready for a shared database. */
export const DEFAULT_TENANT = 'default';
/** The client id of the device authorization a PC's enrollment creates (issuer/pc/): never a device-flow client. */
export const PC_CLIENT_ID = 'dck-pc';

const MAX_URLS = 8;
const MAX_URL_LENGTH = 1024;

const usableUrl = (url: string): boolean => url.length <= MAX_URL_LENGTH && /^https?:\/\/[\x21-\x7e]+$/.test(url);

/** The card certificate's CRL distribution point URIs and first OCSP URL; none when it names none (or is unreadable). */
export function cardRevocationSources(cardCertificateDer: Uint8Array): CardRevocationSources {
  try {
    const { extensions } = readCertificateFields(cardCertificateDer);
    const crlUrls = (
      extensions.crlDistributionPoints === null ? [] : crlDistributionUrls(extensions.crlDistributionPoints)
    )
      .filter(usableUrl)
      .slice(0, MAX_URLS);
    const ocspUrl =
      (extensions.authorityInfoAccess === null ? [] : ocspUrls(extensions.authorityInfoAccess)).find(usableUrl) ?? null;
    return { crlUrls, ocspUrl };
  } catch {
    return { crlUrls: [], ocspUrl: null };
  }
}

/**
 * The binding's device. Platform and model are the phone's report at device authorization, and only when the
 * sign-in that made this enrollment showed that report and the person confirmed it with the matching number
 * (approval requires it; pairing/device-pairing.ts). The redeem body's platform and model are never used: any holder
 * of the access token writes that body, the person never saw it. The id does come from the body (the phone's own
 * identifier, never shown at the kiosk): it only lets a renewal supersede the same card's older credential.
 */
export function boundDevice(
  redeemDevice: { id: string } | undefined,
  authorization: Pick<DeviceAuthorizationRecord, 'device' | 'pairing'>,
  enrollment: Pick<EnrollmentRecord, 'kioskSessionId'>,
): DeviceReport {
  const id = redeemDevice?.id ?? null;
  if (authorization.pairing?.sessionId !== enrollment.kioskSessionId)
    return { id, platform: null, model: null, source: 'unconfirmed' };
  const { platform, model } = authorization.device;
  return { id, platform, model, source: 'confirmed-at-kiosk' };
}
