// `node --import tsx bench/issuer-statements.ts [--enrollments N] [--list]`: how many PostgreSQL statements one
// enrollment costs, per route, through the real issuer (HTTPS on loopback, the real PKI-AUTH verifier, a private
// PostgreSQL 15 cluster as the tests start one). Every round trip costs node-pg's CPU and the server's on the same
// cores, so this count is the PostgreSQL store's main cost figure (issuer/README.md, "PostgreSQL against SQLite").
//
// Counted by wrapping pg.Client.prototype.query (a measurement hook of this script only; nothing else changes).
// The routes are called one at a time, as bench/issuer.ts's clients call them, plus the kiosk's enrollment status
// read; each route's count is the median over N enrollments, so a background job's statement (the maintenance
// lease, the LISTEN connection) falling into one request does not count. --list prints the statements of the last
// enrollment, route by route.
import 'reflect-metadata';
import pg from 'pg';
import type { QueryConfig } from 'pg';
import { routePath } from '../contracts/issuer-routes.ts';
import type { EnrollmentStatus } from '../contracts/issuer-api.ts';
import {
  answerChallenge,
  approveShown,
  challenge,
  makeCsr,
  phonePoll,
  phoneStart,
  postgresStorageConfig,
  redeem,
  showPairing,
  startHarness,
} from '../test/integration/issuer/issuer-fixture.ts';
import { startPostgres } from '../test/integration/issuer/storage/postgres-server.ts';
import { benchArgs } from './bench-args.ts';

const { enrollments, list } = benchArgs('bench/issuer-statements.ts', {
  enrollments: { kind: 'integer', default: 7 },
  list: { kind: 'switch' },
});

/** Every statement any pg client of this process sends, in order (its text's first line, whitespace folded). */
const sent: string[] = [];
const originalQuery: (...args: unknown[]) => unknown = Reflect.get(pg.Client.prototype, 'query');
const textOf = (first: unknown): string =>
  typeof first === 'string' ? first : String((first as Partial<QueryConfig>).text ?? '');
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]): unknown {
  sent.push(textOf(args[0]).replace(/\s+/g, ' ').trim());
  return originalQuery.apply(this, args);
} as typeof pg.Client.prototype.query;

interface RouteCount {
  statements: number;
  transactions: number;
  texts: string[];
}

/** What `call` sent: statements (BEGIN/COMMIT/ROLLBACK included) and transactions (BEGINs). */
async function counted<T>(call: () => Promise<T>): Promise<{ result: T; count: RouteCount }> {
  const from = sent.length;
  const result = await call();
  const texts = sent.slice(from);
  return {
    result,
    count: { statements: texts.length, transactions: texts.filter((t) => t === 'BEGIN').length, texts },
  };
}

const ROUTES = [
  'device_authorization',
  'pki-auth/challenge',
  'pki-auth/response',
  'device-pairings (show)',
  'enrollments (approve)',
  'enrollment status (kiosk)',
  'token',
  'redeem',
] as const;
type RouteName = (typeof ROUTES)[number];

const server = await startPostgres();
try {
  const h = await startHarness({ config: { storage: postgresStorageConfig(await server.createDatabase()) } });
  const csr = await makeCsr();
  const perRoute = new Map<RouteName, RouteCount[]>(ROUTES.map((name) => [name, []]));
  const step = async <T>(name: RouteName, call: () => Promise<T>): Promise<T> => {
    const { result, count } = await counted(call);
    perRoute.get(name)?.push(count);
    return result;
  };
  const ok = <T extends { status: number; text: string }>(name: string, answer: T, status = 200): T => {
    if (answer.status !== status) throw new Error(`${name}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
    return answer;
  };
  try {
    for (let n = 0; n < enrollments; n += 1) {
      const card = await h.card();
      const device = await step('device_authorization', () => phoneStart(h.http));
      const issued = await step('pki-auth/challenge', () => challenge(h.http));
      const session = ok('pki-auth', await step('pki-auth/response', () => answerChallenge(h.http, card, issued)));
      const token = session.body.sessionToken;
      const shown = ok(
        'show',
        await step('device-pairings (show)', () => showPairing(h.http, token, device.user_code)),
      );
      const approved = ok(
        'approve',
        await step('enrollments (approve)', () =>
          approveShown(h.http, token, device.user_code, shown.body.matchNumber),
        ),
        201,
      );
      const enrollmentId = approved.body.enrollmentId;
      ok(
        'status',
        await step('enrollment status (kiosk)', () =>
          h.http.send<EnrollmentStatus>('GET', routePath('enrollmentStatus', { enrollmentId }), { bearer: token }),
        ),
      );
      const access = ok('token', await step('token', () => phonePoll(h.http, device.device_code)));
      ok(
        'redeem',
        await step('redeem', () => redeem(h.http, access.body.access_token, enrollmentId, approved.body.otp, csr)),
      );
    }
  } finally {
    await h.close();
  }

  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  console.log(`PostgreSQL statements per route, median of ${enrollments} enrollments (BEGIN/COMMIT included)`);
  console.log('| route | statements | of which BEGIN/COMMIT pairs |');
  console.log('|---|---|---|');
  let statements = 0;
  let transactions = 0;
  for (const name of ROUTES) {
    const counts = perRoute.get(name) ?? [];
    const s = median(counts.map((c) => c.statements));
    const t = median(counts.map((c) => c.transactions));
    statements += s;
    transactions += t;
    console.log(`| ${name} | ${s} | ${t} |`);
  }
  console.log(`| one enrollment | ${statements} | ${transactions} |`);
  if (list)
    for (const name of ROUTES) {
      console.log(`\n${name}:`);
      for (const text of perRoute.get(name)?.at(-1)?.texts ?? []) console.log(`  ${text.slice(0, 160)}`);
    }
} finally {
  await server.destroy();
}
