// bench:issuer --postgres-statements N: what PostgreSQL itself spends per statement text during the measured rounds,
// from pg_stat_statements (the bench's cluster loads it only for this flag: startPostgres's statementStats). Reset
// just before the rounds, so warm-ups and migrations are left out; printed as the N texts that cost most in total
// (planning + execution), each with its calls per enrollment and how often it was planned (a prepared statement
// planned on every call runs a custom plan each time). Time outside planning and execution (the protocol, parsing
// of unnamed statements, BEGIN/COMMIT, the WAL writer, autovacuum) is not in these figures: the bench's own
// "PostgreSQL's CPU per enrollment" column holds all of it.
import pg from 'pg';
import { connectionTarget } from '../issuer/storage/postgres-connection.ts';

export interface StatementStats {
  reset: () => Promise<void>;
  /** Prints the `top` costliest statement texts over `enrollments` measured enrollments (every database of the cluster). */
  report: (top: number, enrollments: number) => Promise<void>;
  end: () => Promise<void>;
}

interface StatementRow {
  query: string;
  calls: string;
  plans: string;
  total_plan_time: number;
  total_exec_time: number;
  rows: string;
}

const ms = (value: number): string => value.toFixed(0).padStart(7);
const us = (value: number): string => value.toFixed(1).padStart(7);

/** Opens a connection to `url`'s database on a cluster started with statementStats, and creates the extension there. */
export async function openStatementStats(url: string): Promise<StatementStats> {
  const client = new pg.Client(connectionTarget(url));
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  return {
    reset: async () => {
      await client.query('SELECT pg_stat_statements_reset()');
    },
    report: async (top, enrollments) => {
      const { rows } = await client.query<StatementRow>(
        `SELECT query, calls, plans, total_plan_time, total_exec_time, rows FROM pg_stat_statements
        WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_plan_time + total_exec_time DESC`,
      );
      const total = rows.reduce((sum, row) => sum + row.total_plan_time + row.total_exec_time, 0);
      console.log(
        `\nPostgreSQL statements (pg_stat_statements, measured rounds, ${enrollments} enrollments per setup): ` +
          `planning + execution ${ms(total).trim()} ms in all; the ${top} costliest texts`,
      );
      console.log(' total ms  share  calls/enr  plans/calls  plan µs  exec µs  statement');
      for (const row of rows.slice(0, top)) {
        const calls = Number(row.calls);
        const spent = row.total_plan_time + row.total_exec_time;
        console.log(
          `${ms(spent)}  ${((100 * spent) / total).toFixed(1).padStart(5)}%  ${(calls / enrollments).toFixed(2).padStart(9)}` +
            `  ${(Number(row.plans) / calls).toFixed(2).padStart(11)}  ${us((1000 * row.total_plan_time) / Math.max(1, Number(row.plans)))}` +
            `  ${us((1000 * row.total_exec_time) / calls)}  ${row.query.replace(/\s+/g, ' ').slice(0, 110)}`,
        );
      }
    },
    end: () => client.end(),
  };
}
