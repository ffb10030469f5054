// Where a certificate says its status is published, as URLs: the URIs in its cRLDistributionPoints' fullNames and
// the id-ad-ocsp locations in its authorityInfoAccess. The binding record stores them for the eligibility monitor
// (lifecycle/binding.ts). Read with the strict DER reader from the extnValue octets certificate-extensions.ts keeps:
// on a card certificate's every redeem, @peculiar/x509's parse for these two extensions was 16% of an issuer
// worker's busy CPU (bench:issuer profile, 2026-12-06), more than PKI-AUTH's own verification.
import { OID } from '../../ca/der.ts';
import {
  DerReader,
  TAG,
  contentOf,
  contextConstructed,
  contextPrimitive,
  derFail,
  elementsOf,
  readOid,
  readWhole,
} from '../../der/strict-der.ts';
import { readGeneralNames } from '../certificate-extensions.ts';

/** More than a card certificate ever lists; bounds the work on hostile input. */
const MAX_ENTRIES = 32;

/** URIs of every DistributionPoint's fullName, in order. Throws DerFormatError for anything but that shape. */
export function crlDistributionUrls(value: Uint8Array): string[] {
  const points = elementsOf(
    value,
    readWhole(value, TAG.SEQUENCE, 'cRLDistributionPoints'),
    'cRLDistributionPoints',
    true,
  );
  if (points.length > MAX_ENTRIES) derFail(`more than ${MAX_ENTRIES} distribution points`);
  return points.flatMap((point) => {
    if (point.tag !== TAG.SEQUENCE) derFail('DistributionPoint is not a SEQUENCE');
    const name = new DerReader(value, point, 'DistributionPoint').optional(contextConstructed(0), 'distributionPoint');
    if (name === null) return [];
    const choice = new DerReader(value, name, 'DistributionPointName').any('DistributionPointName');
    // nameRelativeToCRLIssuer [1] names no URL.
    return choice.tag === contextConstructed(0) ? readGeneralNames(value, choice).uris : [];
  });
}

/** The uniformResourceIdentifier locations of id-ad-ocsp AccessDescriptions, in order. Throws DerFormatError. */
export function ocspUrls(value: Uint8Array): string[] {
  const descriptions = elementsOf(
    value,
    readWhole(value, TAG.SEQUENCE, 'authorityInfoAccess'),
    'authorityInfoAccess',
    true,
  );
  if (descriptions.length > MAX_ENTRIES) derFail(`more than ${MAX_ENTRIES} access descriptions`);
  return descriptions.flatMap((description) => {
    if (description.tag !== TAG.SEQUENCE) derFail('AccessDescription is not a SEQUENCE');
    const fields = new DerReader(value, description, 'AccessDescription');
    const method = readOid(value, fields.next(TAG.OID, 'accessMethod'));
    const location = fields.any('accessLocation');
    fields.done();
    if (method !== OID.ocspAccess || location.tag !== contextPrimitive(6)) return [];
    // IA5String; callers keep only printable-ASCII http(s) URLs, so latin1 loses nothing they would keep.
    return [Buffer.from(contentOf(value, location)).toString('latin1')];
  });
}
