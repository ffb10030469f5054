// The OpenAPI document the issuer serves against the route table (contracts/issuer-routes.ts): every route of the
// table is there, nothing else is, and each lists exactly the statuses it can send (429 and 500 included, none it
// never sends). Then hostile requests at every route: whatever comes back is a documented status in the
// documented body shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { IssuerError, OAuthError } from '../../../contracts/issuer-api.ts';
import { ISSUER_API, OPERATIONS_PATHS } from '../../../contracts/issuer-routes.ts';
import type { RouteName } from '../../../contracts/issuer-routes.ts';
import { BODY_LIMIT_BYTES } from '../../../issuer/server.ts';
import { startHarness } from './issuer-fixture.ts';
import type { IssuerHarness } from './issuer-fixture.ts';

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

/**
 * Written out by hand, not computed from the tables: a route that gains a code with a new status, or loses its last
 * code of one, changes this list on purpose.
 */
const EXPECTED_STATUSES: Record<RouteName, number[]> = {
  metadata: [200, 429, 500, 503],
  deviceAuthorization: [200, 400, 401, 413, 415, 429, 500, 503],
  token: [200, 400, 401, 413, 415, 429, 500, 503],
  pkiAuthChallenge: [200, 400, 401, 403, 409, 413, 415, 429, 500, 503],
  pkiAuthResponse: [200, 400, 401, 403, 409, 413, 415, 422, 429, 500, 503],
  devicePairings: [200, 400, 401, 404, 409, 410, 413, 415, 429, 500, 503],
  devicePairingDeny: [204, 400, 401, 404, 409, 410, 413, 415, 429, 500, 503],
  approveUserCode: [201, 400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 500, 503],
  refreshEnrollment: [200, 400, 401, 403, 404, 409, 410, 413, 415, 429, 500, 503],
  enrollmentStatus: [200, 400, 401, 404, 429, 500, 503],
  enrollmentEvents: [200, 400, 401, 404, 429, 500, 503],
  enrollmentForPhone: [200, 400, 401, 403, 404, 429, 500, 503],
  redeemEnrollment: [200, 400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 500, 503],
  pcEnrollment: [200, 400, 401, 403, 409, 413, 415, 422, 429, 500, 503],
  pcRevocation: [200, 400, 401, 404, 409, 413, 415, 429, 500, 503],
  kioskHeartbeat: [204, 400, 401, 403, 409, 413, 415, 429, 500, 503],
  credentialStatus: [200, 400, 404, 429, 500, 503],
  derivedCrl: [200, 400, 404, 429, 500, 503],
  // Every other route answers 503 storage-unavailable while the database cannot be reached (PostgreSQL restarting).
  // Bad input is answered in OCSP's own terms (200, malformedRequest); only the per-address limit answers otherwise.
  ocsp: [200, 429],
  ocspGet: [200, 404, 429],
  agentSignIn: [200, 400, 401, 403, 413, 415, 422, 429, 500, 503],
  agentSignOut: [204, 400, 401, 413, 415, 429, 500, 503],
  agentPeople: [200, 400, 401, 403, 429, 500, 503],
  agentSuspendCredential: [200, 400, 401, 403, 404, 409, 413, 415, 429, 500, 503],
  agentResumeCredential: [200, 400, 401, 403, 404, 409, 413, 415, 429, 500, 503],
  agentRevokeCredential: [200, 400, 401, 403, 404, 409, 413, 415, 429, 500, 503],
  agentTerminatePerson: [200, 400, 401, 403, 404, 413, 415, 429, 500, 503],
  agentRevocationRequests: [200, 401, 403, 429, 500, 503],
  agentApproveRevocation: [200, 400, 401, 403, 404, 409, 413, 415, 429, 500, 503],
  agentRejectRevocation: [204, 400, 401, 403, 404, 409, 413, 415, 429, 500, 503],
  agentReissueCode: [200, 400, 401, 403, 404, 409, 410, 413, 415, 429, 500, 503],
  agentAffirmEnrollment: [204, 400, 401, 403, 404, 409, 410, 413, 415, 429, 500, 503],
  adminTenantSettings: [200, 401, 403, 429, 500, 503],
  adminChangeTenantSettings: [200, 400, 401, 403, 413, 415, 429, 500, 503],
  agentQueue: [200, 401, 403, 429, 500, 503],
  agentAudit: [200, 400, 401, 403, 429, 500, 503],
  agentKiosks: [200, 401, 403, 429, 500, 503],
  agentQueueEvents: [200, 401, 403, 429, 500, 503],
};

const ROUTE_NAMES = Object.keys(ISSUER_API) as RouteName[];
const openApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, '{$1}');
const SOME_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

let h: IssuerHarness;
let document: OpenApiDocument;

beforeAll(async () => {
  h = await startHarness();
  document = (await h.http.send<OpenApiDocument>('GET', OPERATIONS_PATHS.openApi)).body;
});
afterAll(async () => {
  await h.close();
});

function documentedStatuses(name: RouteName): number[] {
  const route = ISSUER_API[name];
  const operation = document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
  return Object.keys(operation?.responses ?? {})
    .map(Number)
    .sort((a, b) => a - b);
}

describe('issuer: the OpenAPI document follows the route table', () => {
  it('documents every route of the table and nothing else', () => {
    expect(Object.keys(document.paths).sort()).toEqual(
      [...new Set(ROUTE_NAMES.map((name) => openApiPath(ISSUER_API[name].path)))].sort(),
    );
  });

  it.each(ROUTE_NAMES)('%s lists exactly the statuses it can send', (name) => {
    expect(documentedStatuses(name)).toEqual(EXPECTED_STATUSES[name]);
  });
});

describe('issuer: hostile requests get documented answers', () => {
  const hostileRequests = (name: RouteName) => {
    const route = ISSUER_API[name];
    const path = route.path.replace(':enrollmentId', SOME_ID);
    const requests: Array<{ path: string; options: Parameters<IssuerHarness['http']['send']>[2] }> = [
      { path, options: { bearer: 'x'.repeat(43) } },
    ];
    if (route.path.includes(':'))
      requests.push({ path: route.path.replace(/:[A-Za-z]+/, 'not%20an%20id'), options: {} });
    if (route.method === 'POST') {
      requests.push({ path, options: { raw: '{"unexpected": true}' } });
      requests.push({ path, options: { raw: 'plain words', contentType: 'text/plain' } });
      requests.push({ path, options: { raw: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT_BYTES) }) } });
      requests.push({ path, options: { raw: '{"broken json' } });
    }
    return requests;
  };

  it.each(ROUTE_NAMES)('%s answers only with documented statuses and error shapes', async (name) => {
    const route = ISSUER_API[name];
    const documented = documentedStatuses(name);
    for (const { path, options } of hostileRequests(name)) {
      const answer = await h.http.send(route.method, path, options);
      expect(documented, `${route.method} ${path}`).toContain(answer.status);
      if (answer.status >= 400) {
        const shape =
          route.errorShape === 'oauth' && [400, 401, 429].includes(answer.status) ? OAuthError : IssuerError;
        expect(Value.Check(shape, answer.body), answer.text).toBe(true);
      }
    }
  });
});
