// Debian's real OpenLDAP server (slapd) for the directory-lookup tests: a generated slapd.conf in a temp dir, the
// entries loaded offline with slapadd, then slapd in the foreground on a free loopback port, as the current user,
// no system service. Requires the Debian packages slapd and ldap-utils (.ci/run installs them).
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';

export const DIRECTORY_SUFFIX = 'dc=agency,dc=example';
export const DIRECTORY_ADMIN_DN = `cn=admin,${DIRECTORY_SUFFIX}`;

export interface SlapdDirectory {
  url: string;
  adminPassword: string;
  dir: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}`);
    const client = new Client({ url, connectTimeout: 500, timeout: 500 });
    try {
      await client.search('', { scope: 'base', filter: '(objectClass=*)' });
      return;
    } catch (error: unknown) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}

/** Starts slapd holding `ldif` (entries below DIRECTORY_SUFFIX; the suffix entry itself is added here). */
export async function startSlapd(ldif: string): Promise<SlapdDirectory> {
  const dir = mkdtempSync(join(tmpdir(), 'dck-slapd-'));
  const adminPassword = 'directory-admin-password';
  mkdirSync(join(dir, 'db'));
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `pidfile ${join(dir, 'slapd.pid')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'database mdb',
      `suffix "${DIRECTORY_SUFFIX}"`,
      `rootdn "${DIRECTORY_ADMIN_DN}"`,
      `rootpw ${adminPassword}`,
      `directory ${join(dir, 'db')}`,
      'maxsize 104857600',
      '',
    ].join('\n'),
  );
  const data = join(dir, 'data.ldif');
  writeFileSync(
    data,
    `dn: ${DIRECTORY_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: agency\no: Agency\n\n${ldif}`,
  );
  execFileSync('slapadd', ['-f', conf, '-l', data], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  const url = `ldap://127.0.0.1:${await freePort()}`;
  // -d 0: stay in the foreground (no fork), log nothing; the test owns the process.
  const child = spawn('slapd', ['-f', conf, '-h', `${url}/`, '-d', '0'], { stdio: 'ignore' });
  try {
    await waitUntilServing(url, child);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    adminPassword,
    dir,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One inetOrgPerson entry in LDIF; values given as base64 (`name:: …`) so any bytes, CR and LF included, get in. */
export function personLdif(uid: string, attributes: Record<string, string | string[]>): string {
  const lines = [
    `dn: uid=${uid},${DIRECTORY_SUFFIX}`,
    'objectClass: inetOrgPerson',
    `uid: ${uid}`,
    `cn: ${uid}`,
    `sn: ${uid}`,
  ];
  for (const [name, value] of Object.entries(attributes)) {
    for (const one of Array.isArray(value) ? value : [value])
      lines.push(`${name}:: ${Buffer.from(one, 'utf8').toString('base64')}`);
  }
  return `${lines.join('\n')}\n\n`;
}
