// What an issuer rule (a plain function, no HTTP) answers when it refuses: the status and error code the handler
// sends, and the sentence. The handler only sends it (issuer/http-errors.ts `sendError`).
import type { IssuerErrorCode } from '../../contracts/issuer-api.ts';

export interface RuleRefusal {
  readonly ok: false;
  readonly status: number;
  readonly code: IssuerErrorCode;
  readonly message: string;
}

export function refusal(status: number, code: IssuerErrorCode, message: string): RuleRefusal {
  return { ok: false, status, code, message };
}
