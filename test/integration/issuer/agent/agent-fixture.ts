// What tests that need a help-desk agent share: PKI-AUTH through the agent route (a challenge from
// /pki-auth/challenge, the card's answer to /agent/sign-in), answered raw so a test sees refusals too.
import type { AgentSession } from '../../../../contracts/agent-api.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { newKioskNonce, pkiAuthMessageBytes } from '../../pki-auth/card-signature.ts';
import { b64u, cardSign, challenge, type IssuerHarness } from '../issuer-fixture.ts';

export async function agentSignIn(h: Pick<IssuerHarness, 'http'>, holder: IssuedCardCertificate) {
  const issued = await challenge(h.http);
  const kioskNonce = newKioskNonce();
  const signed = pkiAuthMessageBytes(new Uint8Array(Buffer.from(issued.challenge, 'base64url')), kioskNonce);
  return h.http.route<'agentSignIn', AgentSession & { error?: string }>('agentSignIn', {
    body: {
      challengeId: issued.challengeId,
      kioskNonce: b64u(kioskNonce),
      certificate: b64u(holder.der),
      signature: b64u(cardSign(holder, signed)),
    },
  });
}
