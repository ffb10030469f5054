// An issuer error as the agent is told it: the route's error code → one of the console's refusal kinds, read from
// the one error table (contracts/issuer-errors.ts: its HTTP status), so a new error code needs no change here. The
// page turns the kind into a sentence in the agent's language; the raw code never reaches it.
import type { ConsoleRefusal } from '../../contracts/console-api.ts';
import { ISSUER_ERRORS } from '../../contracts/issuer-errors.ts';
import type { IssuerCallError } from '../issuer-client/issuer-port.ts';

export function refusalOf(error: IssuerCallError): ConsoleRefusal {
  // Its database down (503 storage-unavailable) is, for the agent, the issuer not answering: try again in a moment.
  if (error.code === 'unreachable' || error.code === 'storage-unavailable') return 'unreachable';
  if (error.code === 'agent-own-card') return 'own-card';
  if (error.code === 'agent-same-requester') return 'same-requester';
  if (error.code === 'enrollment-burned') return 'enrollment-burned';
  if (error.code === 'enrollment-completed') return 'enrollment-finished';
  if (error.code === 'card-revoked') return 'card-revoked';
  const status: number = ISSUER_ERRORS[error.code].status;
  if (status === 401) return 'session-ended';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409 || status === 410) return 'conflict';
  return 'invalid';
}
