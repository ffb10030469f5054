// The route table and the error table as contracts: complete, consistent, and binding on callers at compile time
// (the @ts-expect-error lines fail `tsc` if a wrong call ever compiles).
import { describe, expect, it } from 'vitest';
import { callIssuer, routeRequest } from '../../../contracts/issuer-caller.ts';
import type { IssuerConnection } from '../../../contracts/issuer-caller.ts';
import {
  ISSUER_ERRORS,
  ISSUER_ERROR_CODES,
  OAUTH_ERRORS,
  OAUTH_ERROR_CODES,
  errorMessage,
} from '../../../contracts/issuer-errors.ts';
import { ISSUER_API, answerableErrorCodes, routePath } from '../../../contracts/issuer-routes.ts';
import type { RouteName, RouteSpec } from '../../../contracts/issuer-routes.ts';

describe('the error table', () => {
  it('gives every code exactly one status and a sentence, and nothing else', () => {
    expect(Object.keys(ISSUER_ERRORS).sort()).toEqual([...ISSUER_ERROR_CODES].sort());
    expect(Object.keys(OAUTH_ERRORS).sort()).toEqual([...OAUTH_ERROR_CODES].sort());
    for (const entry of [...Object.values(ISSUER_ERRORS), ...Object.values(OAUTH_ERRORS)]) {
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.sentence.length).toBeGreaterThan(5);
    }
  });

  it('appends the facts of a case to the sentence', () => {
    expect(errorMessage('otp-wrong', '(2 tries left.)')).toBe('Wrong one-time password. (2 tries left.)');
    expect(errorMessage('otp-wrong')).toBe('Wrong one-time password.');
  });
});

describe('the route table', () => {
  const names = Object.keys(ISSUER_API) as RouteName[];

  it('has one route per method and path, and a POST or a route with params can always be malformed', () => {
    const keys = names.map((name) => `${ISSUER_API[name].method} ${ISSUER_API[name].path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const name of names) {
      const codes = answerableErrorCodes(ISSUER_API[name]);
      expect(codes, name).toContain(ISSUER_API[name].errorShape === 'oauth' ? 'rate_limited' : 'rate-limited');
      // OCSP answers every failure in its own format (RFC 6960 malformedRequest / tryLater, HTTP 200), never a 500.
      if ((ISSUER_API[name] as RouteSpec).success.media === 'application/ocsp-response')
        expect(codes, name).not.toContain('internal-error');
      else expect(codes, name).toContain('internal-error');
      expect(new Set(codes).size, name).toBe(codes.length);
    }
  });

  it('fills path parameters URL-encoded and builds the request a route expects', () => {
    expect(routePath('redeemEnrollment', { enrollmentId: 'a/b?c' })).toBe('/enrollments/a%2Fb%3Fc/redeem');
    expect(routeRequest('enrollmentStatus', { params: { enrollmentId: 'E' }, query: { waitSeconds: 5 } })).toEqual({
      method: 'GET',
      path: '/enrollments/E/status?waitSeconds=5',
    });
    expect(routeRequest('refreshEnrollment', { params: { enrollmentId: 'E' } })).toEqual({
      method: 'POST',
      path: '/enrollments/E/refresh',
      json: {},
    });
  });

  it('binds every caller to the table at compile time', () => {
    const never = {} as IssuerConnection;
    const typeOnly = (): unknown => [
      // @ts-expect-error a renamed body field does not compile
      routeRequest('approveUserCode', { body: { user_code: 'WDJB-MJHT' } }),
      // @ts-expect-error a route with params cannot be called without them
      routeRequest('redeemEnrollment', { body: { otp: '1', csr: 'x' } }),
      // @ts-expect-error a route without a body takes none
      routeRequest('metadata', { body: { displayName: 'x' } }),
      // @ts-expect-error no such route
      routeRequest('enrollments', {}),
      callIssuer(never, 'approveUserCode', { body: { userCode: 'WDJB-MJHT', matchNumber: '42' } }).then((answer) => {
        // @ts-expect-error the success body is the route's own (EnrollmentCode has no sessionToken)
        if (answer.ok) void answer.value.sessionToken;
      }),
    ];
    expect(typeof typeOnly).toBe('function');
  });
});
