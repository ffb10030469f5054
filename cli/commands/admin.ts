// `dck admin …`: the tenant administrator's commands, run on the issuer host against the issuer's data directory,
// or the PostgreSQL database its config (--config) names (why not an HTTP API yet: issuer/README.md "Administration"). Derived credentials: list, show, revoke, suspend,
// resume; the audit log: export, verify (its hash chains, issuer/audit/); kiosks: add, revoke, list. Every change goes through issuer/lifecycle/ (audited with the actor, one
// transaction); the running issuer publishes the new CRL within revocation.crlCheckSeconds, or at once on a request.
// Exit codes: 0 done, 1 refused (unknown credential, revoked twice, …: nothing changed), 2 wrong command line.
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { AGENT_ROLES } from '../../contracts/agent-api.ts';
import { exportAudit } from '../../issuer/admin/audit-export.ts';
import { verifyAuditLog } from '../../issuer/audit/verify-audit-log.ts';
import { KioskRegistryError, registerKiosk, revokeKiosk } from '../../issuer/kiosks/kiosk-registry.ts';
import { kioskProblemText, listKiosks } from '../../issuer/kiosks/list-kiosks.ts';
import {
  AgentRoleError,
  agentIdentityKey,
  agentRole,
  grantAgentRole,
  withdrawAgentRole,
} from '../../issuer/agent/agent-roles.ts';
import { credentialDetails, credentialLine, credentialReport } from '../../issuer/admin/credential-report.ts';
import {
  LifecycleError,
  normalizeSerial,
  resumeDerivedCredential,
  revokeDerivedCredential,
  suspendDerivedCredential,
} from '../../issuer/lifecycle/credential-state.ts';
import type { LifecycleActor, LifecycleDeps } from '../../issuer/lifecycle/credential-state.ts';
import { FINAL_REVOCATION_REASONS } from '../../issuer/lifecycle/revocation-reason.ts';
import { IssuerReplaceError, replaceDataDirIssuer } from '../../issuer/lifecycle/replace-issuer.ts';
import {
  TenantSettingError,
  changeTenantSettings,
  readTenantSettings,
} from '../../issuer/lifecycle/tenant-settings.ts';
import type { TenantSettingName } from '../../issuer/lifecycle/tenant-settings.ts';
import { ConfigError, loadIssuerConfigFile, parseIssuerConfig } from '../../issuer/config.ts';
import type { IssuerConfig } from '../../issuer/config.ts';
import type {
  AgentIdentityKey,
  CredentialFilter,
  IssuerStorage,
  StoredCredentialStatus,
} from '../../issuer/storage/issuer-storage.ts';
import { openConfiguredStorage } from '../../issuer/storage/open-storage.ts';
import { PostgresBusyError, StorageUnavailableError } from '../../issuer/storage/postgres-connection.ts';
import { ISSUER_DATABASE_FILE, openSqliteStorage } from '../../issuer/storage/sqlite-storage.ts';
import { integerOption, parseArgs, printable, UsageError } from '../args.ts';
import { terminalSafe, terminalSafeJson } from '../terminal-text.ts';

export const summary =
  'administer the issuer: derived credentials, tenant settings, help-desk roles, issuer replacement, kiosks, audit export and verification';

const USAGE = `usage: dck admin credentials list [FILTER] [--status active|suspended|revoked] [--limit N] [--json] [--data DIR]
       dck admin credentials show --serial HEX [--json] [--data DIR]
       dck admin credentials revoke (--serial HEX | --person UUID | --fascn HEX | --device ID) --reason REASON
                                    [--note TEXT] [--actor NAME] [--json] [--data DIR]
       dck admin credentials suspend|resume --serial HEX [--note TEXT] [--actor NAME] [--json] [--data DIR]
       dck admin audit export [--format jsonl|csv] [--out FILE] [--after SEQUENCE] [--json] [--data DIR]
       dck admin audit verify [--json] [--data DIR]
       dck admin kiosks add --name NAME --public-key FILE [--actor NAME] [--json] [--data DIR]
       dck admin kiosks revoke --name NAME [--actor NAME] [--data DIR]
       dck admin kiosks list [--json] [--data DIR]
       dck admin tenant show [--json] [--config FILE] [--data DIR]
       dck admin tenant set [--display-name TEXT] [--help-url URL|none] [--notifications none|email|app|both]
                            [--renewal-threshold PERCENT] [--lifetime-days N] [--on-card-revoked revoke-derived|flag]
                            [--pc-software-keys allow|refuse]
                            [--validate-cancellation on|off] [--supervision none|agent-affirms]
                            [--actor NAME] [--json] [--config FILE] [--data DIR]
       dck admin agents list [--json] [--data DIR]
       dck admin agents grant|withdraw (--uuid UUID | --fascn HEX | --subject DN) --role ROLE [--actor NAME] [--json] [--data DIR]
       dck admin issuer replace [--reason superseded|cessationOfOperation] [--actor NAME] [--json] [--config FILE] [--data DIR]

  FILTER     --serial HEX, --person UUID, --fascn HEX, --name TEXT (part of the cardholder's name), --device ID
  REASON     ${FINAL_REVOCATION_REASONS.join(', ')}
  ROLE       ${AGENT_ROLES.join(', ')}: what a card may do at the help-desk console (issuer/README.md "Agent console API")
  --actor    who you are, for the audit (default: cli:<your login name>)
  --data     the issuer's data directory (default ./dck-issuer-data); run on the issuer host.
  --config   the issuer's configuration file (its starting tenant settings and CA section, and its storage: with
             storage.kind postgres every command works on that database instead of the SQLite file in --data).

issuer replace: a new CA in the data directory and a new issuer generation; every derived credential of the old
one is revoked (holders enroll again) and the old CA signs only its final CRL. Restart the issuer afterwards.

kiosks add: FILE is the PEM public key the kiosk wrote to its data directory (kiosk-identity.pub.pem); compare
the fingerprint printed here with the one the kiosk shows before you trust it.
audit verify: checks every row against its hash chain; exit 0 when the log verifies, 1 naming the first broken row.`;

const SPEC = {
  '--data': 'value',
  '--json': 'flag',
  '--serial': 'value',
  '--person': 'value',
  '--fascn': 'value',
  '--name': 'value',
  '--device': 'value',
  '--status': 'value',
  '--limit': 'value',
  '--reason': 'value',
  '--note': 'value',
  '--actor': 'value',
  '--format': 'value',
  '--out': 'value',
  '--after': 'value',
  '--config': 'value',
  '--display-name': 'value',
  '--help-url': 'value',
  '--notifications': 'value',
  '--renewal-threshold': 'value',
  '--lifetime-days': 'value',
  '--on-card-revoked': 'value',
  '--pc-software-keys': 'value',
  '--public-key': 'value',
  '--validate-cancellation': 'value',
  '--supervision': 'value',
  '--uuid': 'value',
  '--subject': 'value',
  '--role': 'value',
} as const;

/** `dck admin tenant set` options → tenant setting names (lifecycle/tenant-settings.ts). */
const SETTING_OPTIONS = {
  '--display-name': 'displayName',
  '--help-url': 'helpUrl',
  '--notifications': 'notificationTypes',
  '--renewal-threshold': 'renewalThresholdPercent',
  '--lifetime-days': 'derivedCertificateLifetimeDays',
  '--on-card-revoked': 'onCardRevoked',
  '--pc-software-keys': 'pcSoftwareKeys',
  '--validate-cancellation': 'validateCancellation',
  '--supervision': 'supervision',
} as const satisfies Partial<Record<keyof typeof SPEC, TenantSettingName>>;
type Options = ReturnType<typeof parseArgs<typeof SPEC>>;

const LIST_LIMIT = 1000;
const STATUSES: readonly StoredCredentialStatus[] = ['active', 'suspended', 'revoked'];

interface Context {
  storage: IssuerStorage;
  options: Options;
  deps: LifecycleDeps;
  actor: LifecycleActor;
  dataDir: string;
  print: (line: string) => void;
}

function configOf(options: Options): IssuerConfig {
  const file = options['--config'];
  return file === undefined ? parseIssuerConfig({}) : loadIssuerConfigFile(file);
}

async function tenantShow(ctx: Context): Promise<number> {
  const settings = await readTenantSettings(ctx.storage, configOf(ctx.options));
  if (ctx.options['--json'] === true) ctx.print(terminalSafeJson(settings, 2));
  else
    for (const [name, value] of Object.entries(settings))
      ctx.print(terminalSafe(`${name.padEnd(32)} ${String(value)}`));
  return 0;
}

async function tenantSet(ctx: Context): Promise<number> {
  const changes: Record<string, string> = {};
  for (const [option, setting] of Object.entries(SETTING_OPTIONS)) {
    const value = ctx.options[option as keyof typeof SETTING_OPTIONS];
    if (value !== undefined) changes[setting] = value;
  }
  await changeTenantSettings(ctx.storage, configOf(ctx.options), changes, ctx.actor, ctx.deps.now());
  return tenantShow(ctx);
}

async function issuerReplace(ctx: Context): Promise<number> {
  const reason = ctx.options['--reason'] ?? 'cessationOfOperation';
  if (reason !== 'cessationOfOperation' && reason !== 'superseded')
    throw new UsageError('--reason is superseded or cessationOfOperation');
  const result = await replaceDataDirIssuer({
    dataDir: ctx.dataDir,
    storage: ctx.storage,
    config: configOf(ctx.options),
    now: ctx.deps.now(),
    actor: ctx.actor,
    reason,
  });
  if (ctx.options['--json'] === true) {
    ctx.print(
      terminalSafeJson({ oldGeneration: result.oldGeneration, generation: result.generation, revoked: result.revoked }),
    );
  } else {
    ctx.print(
      `issuer generation ${result.generation} started; ${result.revoked.length} derived credentials of generation ${result.oldGeneration} revoked (${reason})`,
    );
    ctx.print('restart the issuer; give relying parties the new CA certificate:');
    ctx.print(result.caCertificatePem.trimEnd());
  }
  return 0;
}

/** The store the issuer's config names: its PostgreSQL database, or (the default) the SQLite file in the data dir. */
async function openStorage(config: IssuerConfig, dataDir: string): Promise<IssuerStorage> {
  if (config.storage.kind === 'postgres') return openConfiguredStorage(config.storage, dataDir);
  const file = join(dataDir, ISSUER_DATABASE_FILE);
  // Never create a database here: a mistyped --data must not look like an issuer with no credentials.
  if (!existsSync(file))
    throw new UsageError(`no issuer database in ${printable(dataDir, 200)} (give --data, the issuer's data directory)`);
  return openSqliteStorage(file, { checkpointIntervalMs: 0 });
}

function filterOf(options: Options): CredentialFilter {
  const status = options['--status'];
  if (status !== undefined && !STATUSES.includes(status as StoredCredentialStatus))
    throw new UsageError(`--status is one of ${STATUSES.join(', ')}`);
  return {
    ...(options['--serial'] === undefined ? {} : { serialNumberHex: serialOption(options['--serial']) }),
    ...(options['--person'] === undefined ? {} : { personUuid: options['--person'] }),
    ...(options['--fascn'] === undefined ? {} : { fascnHex: options['--fascn'] }),
    ...(options['--name'] === undefined ? {} : { name: options['--name'] }),
    ...(options['--device'] === undefined ? {} : { deviceId: options['--device'] }),
    ...(status === undefined ? {} : { status: status as StoredCredentialStatus }),
  };
}

function serialOption(serial: string): string {
  try {
    return normalizeSerial(serial);
  } catch {
    throw new UsageError('--serial is the certificate serial number in hex');
  }
}

async function list(ctx: Context): Promise<number> {
  const limit = integerOption(ctx.options['--limit'], '--limit', 1, LIST_LIMIT) ?? 100;
  const reports = (await ctx.storage.listDerivedCredentials(filterOf(ctx.options), limit)).map((view) =>
    credentialReport(view, ctx.deps.now()),
  );
  if (ctx.options['--json'] === true) ctx.print(terminalSafeJson(reports, 2));
  else if (reports.length === 0) ctx.print('no derived credentials match');
  else for (const report of reports) ctx.print(terminalSafe(credentialLine(report)));
  return 0;
}

async function show(ctx: Context): Promise<number> {
  const serial = ctx.options['--serial'];
  if (serial === undefined) throw new UsageError('show needs --serial');
  const view = await ctx.storage.findDerivedCredential(serialOption(serial));
  if (view === null)
    throw new LifecycleError('credential-unknown', `No derived credential with serial ${printable(serial)}.`);
  const report = credentialReport(view, ctx.deps.now());
  if (ctx.options['--json'] === true) ctx.print(terminalSafeJson(report, 2));
  else for (const line of credentialDetails(report)) ctx.print(terminalSafe(line));
  return 0;
}

/** Revoke by serial, or every live credential of a person, card holder (FASC-N) or device: exact matches only. */
async function revoke(ctx: Context): Promise<number> {
  const reason = ctx.options['--reason'];
  if (reason === undefined) throw new UsageError(`revoke needs --reason (${FINAL_REVOCATION_REASONS.join(', ')})`);
  if (ctx.options['--name'] !== undefined)
    throw new UsageError('revoke does not take --name (a partial match): use --serial, --person, --fascn or --device');
  const filter = filterOf(ctx.options);
  if (Object.keys(filter).length === 0) throw new UsageError('revoke needs --serial, --person, --fascn or --device');
  const serials =
    filter.serialNumberHex !== undefined
      ? [filter.serialNumberHex]
      : (await ctx.storage.listDerivedCredentials(filter, LIST_LIMIT))
          .filter((view) => view.status !== 'revoked' && view.notAfter > ctx.deps.now().getTime())
          .map((view) => view.serialNumberHex);
  if (serials.length === 0) throw new LifecycleError('credential-unknown', 'No live derived credential matches.');
  for (const serial of serials)
    await revokeDerivedCredential(ctx.deps, serial, reason, ctx.actor, ctx.options['--note']);
  return done(ctx, 'revoked', serials);
}

async function suspendOrResume(ctx: Context, action: 'suspend' | 'resume'): Promise<number> {
  const serial = ctx.options['--serial'];
  if (serial === undefined) throw new UsageError(`${action} needs --serial`);
  const normalized = serialOption(serial);
  const change = action === 'suspend' ? suspendDerivedCredential : resumeDerivedCredential;
  await change(ctx.deps, normalized, ctx.actor, ctx.options['--note']);
  return done(ctx, action === 'suspend' ? 'suspended' : 'resumed', [normalized]);
}

function done(ctx: Context, what: string, serials: string[]): number {
  if (ctx.options['--json'] === true) ctx.print(terminalSafeJson({ [what]: serials }));
  else for (const serial of serials) ctx.print(`${what} ${serial}`);
  return 0;
}

async function auditExport(ctx: Context): Promise<number> {
  const format = ctx.options['--format'] ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError('--format is jsonl or csv');
  const after = integerOption(ctx.options['--after'], '--after', 0, 999_999_999) ?? 0;
  const out = ctx.options['--out'];
  const stream = out === undefined ? process.stdout : createWriteStream(out, { flags: 'wx', mode: 0o600 });
  const write = async (chunk: string) => {
    if (!stream.write(chunk)) await once(stream, 'drain');
  };
  const result = await exportAudit(ctx.storage, format, write, after);
  if (out !== undefined) {
    stream.end();
    await once(stream, 'finish');
    const text =
      ctx.options['--json'] === true
        ? terminalSafeJson({ file: out, ...result })
        : `${result.rows} audit rows written to ${terminalSafe(out)}`;
    ctx.print(text);
  }
  return 0;
}

/** Exit 1 names the first row that breaks its chain (edited, deleted, reordered or inserted). */
async function auditVerify(ctx: Context): Promise<number> {
  const result = await verifyAuditLog(ctx.storage);
  const broken = result.firstBreak;
  if (ctx.options['--json'] === true) ctx.print(terminalSafeJson({ verified: broken === null, ...result }));
  else if (broken === null) ctx.print(`audit log verified: ${result.rows} rows, ${result.chains} chains`);
  else
    ctx.print(
      terminalSafe(
        `audit log BROKEN at row ${broken.sequence ?? '(missing)'}, chain ${broken.chainId} row ${broken.chainSequence ?? '?'} (${broken.problem}): ${broken.detail}`,
      ),
    );
  return broken === null ? 0 : 1;
}

/** The kiosk's public key file: small, or it is not one. */
const MAX_PUBLIC_KEY_FILE_BYTES = 4096;

async function kiosksAdd(ctx: Context): Promise<number> {
  const name = ctx.options['--name'];
  const keyFile = ctx.options['--public-key'];
  if (name === undefined || keyFile === undefined) throw new UsageError('kiosks add needs --name and --public-key');
  let pem: Buffer;
  try {
    pem = readFileSync(keyFile);
  } catch {
    throw new UsageError(`cannot read --public-key ${printable(keyFile, 200)}`);
  }
  if (pem.length > MAX_PUBLIC_KEY_FILE_BYTES)
    throw new KioskRegistryError('kiosk-key-invalid', 'the public key file is too large to be one');
  const kiosk = await registerKiosk(ctx.storage, name, pem.toString('utf8'), ctx.actor.id, ctx.deps.now());
  if (ctx.options['--json'] === true)
    ctx.print(terminalSafeJson({ registered: kiosk.name, fingerprint: kiosk.fingerprint }));
  else ctx.print(terminalSafe(`kiosk ${kiosk.name} registered, key fingerprint ${kiosk.fingerprint}`));
  return 0;
}

async function kiosksRevoke(ctx: Context): Promise<number> {
  const name = ctx.options['--name'];
  if (name === undefined) throw new UsageError('kiosks revoke needs --name');
  await revokeKiosk(ctx.storage, name, ctx.actor.id, ctx.deps.now());
  ctx.print(terminalSafe(`kiosk ${name} revoked`));
  return 0;
}

async function kiosksList(ctx: Context): Promise<number> {
  // The terminal's form of each problem, in --json too (its shape is what scripts already read).
  const kiosks = (await listKiosks(ctx.storage, ctx.deps.now())).map((kiosk) => ({
    ...kiosk,
    problems: kiosk.problems.map(kioskProblemText),
  }));
  if (ctx.options['--json'] === true) ctx.print(terminalSafeJson(kiosks, 2));
  else if (kiosks.length === 0) ctx.print('no kiosks registered');
  else
    for (const kiosk of kiosks)
      ctx.print(
        terminalSafe(
          `${kiosk.name.padEnd(24)} last seen ${kiosk.lastSeenAt ?? 'never'}  ${kiosk.problems.length === 0 ? 'ok' : kiosk.problems.join('; ')}`,
        ),
      );
  return 0;
}

/** The card a role is given to: exactly one of --uuid, --fascn, --subject. */
function identityOption(options: Options): AgentIdentityKey {
  const given = (['uuid', 'fascn', 'subject'] as const).filter((kind) => options[`--${kind}`] !== undefined);
  const [kind] = given;
  if (given.length !== 1 || kind === undefined)
    throw new UsageError('name the card by one of --uuid, --fascn, --subject');
  return agentIdentityKey(kind, options[`--${kind}`] ?? '');
}

async function agentsList(ctx: Context): Promise<number> {
  const grants = await ctx.storage.listAgentRoles();
  if (ctx.options['--json'] === true) ctx.print(terminalSafeJson(grants, 2));
  else if (grants.length === 0) ctx.print('no card holds a role');
  else
    for (const grant of grants)
      ctx.print(
        terminalSafe(`${grant.role.padEnd(9)} ${grant.kind.padEnd(7)} ${grant.value}  (by ${grant.grantedBy})`),
      );
  return 0;
}

async function agentsChange(ctx: Context, change: 'grant' | 'withdraw'): Promise<number> {
  const role = ctx.options['--role'];
  if (role === undefined) throw new UsageError(`${change} needs --role (${AGENT_ROLES.join(', ')})`);
  const identity = identityOption(ctx.options);
  const by = { kind: 'admin', id: ctx.actor.id } as const;
  const changeRole = change === 'grant' ? grantAgentRole : withdrawAgentRole;
  const changed = await changeRole(ctx.storage, identity, agentRole(role), by, ctx.deps.now());
  const what = { [change === 'grant' ? 'granted' : 'withdrawn']: changed, role, ...identity };
  if (ctx.options['--json'] === true) ctx.print(terminalSafeJson(what));
  else
    ctx.print(
      terminalSafe(
        `${changed ? `${change === 'grant' ? 'granted' : 'withdrew'}` : 'unchanged:'} ${role} ${identity.kind} ${identity.value}`,
      ),
    );
  return 0;
}

const ACTIONS: Record<string, (ctx: Context) => Promise<number>> = {
  'agents list': agentsList,
  'agents grant': (ctx) => agentsChange(ctx, 'grant'),
  'agents withdraw': (ctx) => agentsChange(ctx, 'withdraw'),
  'credentials list': list,
  'credentials show': show,
  'credentials revoke': revoke,
  'credentials suspend': (ctx) => suspendOrResume(ctx, 'suspend'),
  'credentials resume': (ctx) => suspendOrResume(ctx, 'resume'),
  'audit export': auditExport,
  'audit verify': auditVerify,
  'kiosks add': kiosksAdd,
  'kiosks revoke': kiosksRevoke,
  'kiosks list': kiosksList,
  'tenant show': tenantShow,
  'tenant set': tenantSet,
  'issuer replace': issuerReplace,
};

function defaultActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export async function run(args: string[]): Promise<number> {
  const [group = '', verb = '', ...rest] = args;
  if (group === '--help' || group === '-h' || verb === '--help' || rest.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const action = ACTIONS[`${group} ${verb}`];
  let storage: IssuerStorage | null = null;
  const json = rest.includes('--json');
  try {
    if (action === undefined) throw new UsageError(`unknown admin command "${printable(`${group} ${verb}`)}"`);
    const options = parseArgs(rest, SPEC, `dck admin ${group} ${verb}`);
    const dataDir = options['--data'] ?? 'dck-issuer-data';
    const config = configOf(options);
    const opened = await openStorage(config, dataDir);
    storage = opened;
    // A revocation here queues the holder's notice in the outbox (if the tenant's notificationTypes include email);
    // the issuer's sender delivers it.
    const deps: LifecycleDeps = {
      storage: opened,
      now: () => new Date(),
      notificationTypes: async () => (await readTenantSettings(opened, config)).notificationTypes,
    };
    const actor: LifecycleActor = { kind: 'admin', id: options['--actor'] ?? defaultActor() };
    return await action({
      storage: opened,
      options,
      deps,
      actor,
      dataDir,
      print: (line) => {
        console.log(line);
      },
    });
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (
      error instanceof LifecycleError ||
      error instanceof TenantSettingError ||
      error instanceof IssuerReplaceError ||
      error instanceof KioskRegistryError ||
      error instanceof AgentRoleError ||
      error instanceof ConfigError ||
      error instanceof StorageUnavailableError ||
      error instanceof PostgresBusyError
    ) {
      console.error(
        json
          ? terminalSafeJson({ error: error.code, message: error.message })
          : `refused: ${terminalSafe(error.message)}`,
      );
      return 1;
    }
    throw error;
  } finally {
    await storage?.close();
  }
}
