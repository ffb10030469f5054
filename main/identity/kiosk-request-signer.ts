// The kiosk signs its calls that start or renew an enrollment (PKI-AUTH, approve, refresh) with its own key, so the
// issuer knows which registered kiosk a person stands at (contracts/kiosk-signature.ts; the issuer's check is
// issuer/kiosks/kiosk-request.ts). A fresh random nonce per call: the issuer takes each nonce once.
import { randomBytes } from 'node:crypto';
import type { KioskRequestSigner } from '../../contracts/issuer-caller.ts';
import { formatKioskSignatureHeader, kioskRequestMessage } from '../../contracts/kiosk-signature.ts';
import type { KioskIdentity } from './kiosk-identity.ts';

export function kioskRequestSigner(identity: KioskIdentity, now: () => Date = () => new Date()): KioskRequestSigner {
  return (request) => {
    const fields = { kiosk: identity.name, sentAt: now().getTime(), nonce: randomBytes(16).toString('base64url') };
    const signature = Buffer.from(identity.sign(kioskRequestMessage(fields, request))).toString('base64url');
    return formatKioskSignatureHeader({ ...fields, signature });
  };
}
