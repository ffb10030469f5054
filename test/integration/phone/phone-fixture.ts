// What the phone tests share: the phone's connection to the harness issuer (trusting only its TLS certificate), and
// a phone approved at the kiosk by a fresh card (the kiosk's QR payload and OTP, the phone's token).
import { connectToIssuer, type IssuerConnection } from '../../../contracts/issuer-caller.ts';
import { pollTokenOnce, startDeviceAuthorization } from '../../../phone/phone-client.ts';
import type { DeviceFlow, DeviceToken } from '../../../phone/phone-client.ts';
import { approve, kioskSignIn, type IssuerHarness } from '../issuer/issuer-fixture.ts';

export function phoneConnection(h: IssuerHarness): IssuerConnection {
  const connected = connectToIssuer(h.issuer.url, h.issuer.tlsCertificatePem);
  if (!connected.ok) throw new Error(connected.message);
  return connected.connection;
}

export function must<T>(result: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

/** Phone asks for a code, a card signs in at the kiosk and approves it: the kiosk's QR payload + OTP (its life starts now). */
export async function approvedEnrollment(
  h: IssuerHarness,
  connection: IssuerConnection,
): Promise<{
  flow: DeviceFlow;
  token: DeviceToken;
  qrPayload: string;
  otp: string;
  cardUuid: string;
}> {
  const flow = must(await startDeviceAuthorization(connection));
  const card = await h.card();
  const session = await kioskSignIn(h.http, card);
  const approved = await approve(h.http, session.sessionToken, flow.userCode);
  if (approved.status !== 201) throw new Error(approved.text);
  const polled = must(await pollTokenOnce(connection, flow, flow.intervalSeconds));
  if (polled.state !== 'granted') throw new Error('not granted');
  return { flow, token: polled.token, qrPayload: approved.body.qrPayload, otp: approved.body.otp, cardUuid: card.uuid };
}
