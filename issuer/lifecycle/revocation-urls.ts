// The URLs every derived certificate names for its revocation: the CRL of its issuer generation (each generation
// has its own CRL, signed by its own CA, so an old generation's final CRL stays where its certificates point) and
// the OCSP responder.
import { ISSUER_API, routePath } from '../../contracts/issuer-routes.ts';

export function revocationUrls(baseUrl: string, issuerGeneration: number): { crl: string; ocsp: string } {
  return {
    crl: `${baseUrl}${routePath('derivedCrl', { generation: String(issuerGeneration) })}`,
    ocsp: `${baseUrl}${ISSUER_API.ocsp.path}`,
  };
}
