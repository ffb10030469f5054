// What binds a new derived credential besides its card and enrollment: the device as the phone reported it, the
// tenant and issuer generation, and where the card's PIV Authentication certificate publishes its revocation (for
// the eligibility monitor). The card's certificate passed PKI-AUTH's strict checks before it was stored.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { CardRevocationSources, DeviceReport } from '../storage/issuer-storage.ts';

/** One tenant per issuer instance (DESIGN.md): its credentials carry this name, ready for a shared database. */
export const DEFAULT_TENANT = 'default';

const MAX_URLS = 8;
const MAX_URL_LENGTH = 1024;

const usableUrl = (url: string): boolean => url.length <= MAX_URL_LENGTH && /^https?:\/\/[\x21-\x7e]+$/.test(url);

/** The card certificate's CRL distribution point URIs and first OCSP URL; none when it names none (or is unreadable). */
export function cardRevocationSources(cardCertificateDer: Uint8Array): CardRevocationSources {
  try {
    const certificate = new x509.X509Certificate(cardCertificateDer.slice());
    const distribution = certificate.getExtension(x509.CRLDistributionPointsExtension);
    const crlUrls = (distribution?.distributionPoints ?? [])
      .flatMap((point) => point.distributionPoint?.fullName ?? [])
      .flatMap((name) => (name.uniformResourceIdentifier === undefined ? [] : [name.uniformResourceIdentifier]))
      .filter(usableUrl)
      .slice(0, MAX_URLS);
    const access = certificate.getExtension(x509.AuthorityInfoAccessExtension);
    const ocspUrl = (access?.ocsp ?? []).map((name) => name.value).find(usableUrl) ?? null;
    return { crlUrls, ocspUrl };
  } catch {
    return { crlUrls: [], ocspUrl: null };
  }
}

/** The device fields of a redeem body, absent ones as null. */
export function deviceReport(device: { id: string; platform?: string; model?: string } | undefined): DeviceReport {
  return { id: device?.id ?? null, platform: device?.platform ?? null, model: device?.model ?? null };
}
