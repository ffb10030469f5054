// The console's kiosk list, read from the issuer on a timer while an agent is signed in (GET /agent/kiosks). A poll,
// not a stream: kiosks change state once a minute at most (their heartbeat interval), and one small read every
// KIOSK_POLL_MS per console costs the issuer nothing worth a second event stream. One read at a time: a slow
// answer is never overtaken by the next tick.
import type { AgentKioskList } from '../../contracts/agent-api.ts';
import type { IssuerCall } from '../issuer-client/issuer-port.ts';

/** Within the 15–30 s an agent waits for a kiosk's state to change on screen; a stale kiosk shows within 3 min + this. */
export const KIOSK_POLL_MS = 20_000;

export type KioskRead = () => IssuerCall<AgentKioskList>;
export type KioskAnswer = Awaited<IssuerCall<AgentKioskList>>;

/** Reads at once, then every `intervalMs`, each answer to `onAnswer`; the returned function stops it. */
export function pollKiosks(
  read: KioskRead,
  onAnswer: (answer: KioskAnswer) => void,
  intervalMs = KIOSK_POLL_MS,
): () => void {
  let stopped = false;
  let reading = false;
  const tick = (): void => {
    if (stopped || reading) return;
    reading = true;
    void read()
      // The client answers failures as `unreachable`; a throw is one too, never an unhandled rejection.
      .catch((): KioskAnswer => ({ ok: false, error: { code: 'unreachable', detail: 'kiosk list read failed' } }))
      .then((answer) => {
        if (!stopped) onAnswer(answer);
      })
      .finally(() => {
        reading = false;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref?.();
  tick();
  return (): void => {
    stopped = true;
    clearInterval(timer);
  };
}
