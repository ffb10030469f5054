// A demo environment's issuer (the console's, the help desk's) in the shape the issuer fixtures take, so an end-to-end
// test enrolls a person through the issuer's own routes and reads the relying party's CA and CRL files as the
// integration tests do.
import type { DemoEnvironment } from '../../../demo/demo-environment.ts';
import { IssuerHttpClient } from '../../integration/issuer/issuer-client.ts';
import type { IssuerHarness } from '../../integration/issuer/issuer-fixture.ts';

/**
 * `card` is the fixtures' "another card" (or a refusal where the test has its own cards). The demo issuer runs on
 * real time: advanceClock throws. close() closes only the HTTP client; the demo stops the issuer.
 */
export function demoIssuerHarness(demo: DemoEnvironment, dataDir: string, card: IssuerHarness['card']): IssuerHarness {
  // 64 sockets: the console test enrolls several people through one client (the fixtures' default is 16).
  const http = new IssuerHttpClient(demo.issuer.url, demo.issuer.tlsCertificatePem, 64);
  return {
    issuer: demo.issuer,
    http,
    pki: demo.pki,
    dataDir,
    card,
    advanceClock: () => {
      throw new Error('the demo issuer runs on real time');
    },
    close: () => {
      http.close();
      return Promise.resolve();
    },
  };
}
