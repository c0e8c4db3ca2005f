import type { Context, KinesisStreamBatchResponse, KinesisStreamRecord } from 'aws-lambda';
import type { DurableOptions } from '../lib/analyze/pipeline.ts';
import {
  createAccounts,
  memberDeferral,
  memberFsx,
  memberLedger,
  unreachableFsx,
} from '../lib/aws/accounts.ts';
import { fsxClientWith } from '../lib/aws/clients.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { settleKinesisRecords } from '../lib/aws/kinesis.ts';
import { stsClient } from '../lib/aws/organization-clients.ts';
import {
  memberAccountOf,
  type OrganizationConfig,
  withAccountTelemetry,
} from '../lib/common/organization.ts';
import type { FsxPort, FsxTaskPort, LedgerPort, TaskStatus } from '../lib/common/ports.ts';
import type { LogBatch, Telemetry } from '../lib/common/types.ts';
import { decodeKinesisData } from '../lib/input/kinesis.ts';
import {
  createRetrierRun,
  type QueuedExport,
  type RetrierOptions,
  type RetrierPorts,
  type RetrierReport,
  type RetrierRun,
  type RetrierWait,
  RetryLaterError,
} from '../lib/reexport/retrier.ts';

/*
 * Organization mode's wiring (docs/organization.md): which ports a batch's owner gets, and the
 * analyzer's Kinesis event source. The home account (and every batch of a single-account stack)
 * gets the container's own ports, unchanged; a member account gets FSx through its role, and a
 * ledger and queue that carry its account.
 */

/** The ports one batch is analysed with. */
interface AccountPorts {
  /** The member account; undefined: the home account, exactly as a single-account stack. */
  readonly account: string | undefined;
  readonly fsx: FsxPort | undefined;
  readonly durable: DurableOptions | undefined;
}

interface Routing {
  /** The ports for a batch whose payload names `owner`. */
  portsFor(owner: string): Promise<AccountPorts>;
  /** `telemetry` with the account as a dimension and log field (unchanged for the home account). */
  telemetryFor(ports: AccountPorts, telemetry: Telemetry): Telemetry;
  /**
   * The retrier's run over a batch of deferral messages: one run per account, each with that
   * account's FSx and ledger. The messages of a member whose role cannot be assumed wait in the
   * queue (batch item failures), reported with the reason.
   */
  retrierRun(
    items: readonly QueuedExport[],
    home: RetrierPorts,
    options: RetrierOptions,
  ): Promise<RetrierRun>;
  /**
   * The outcome check's ports: a tracked task of a member account is looked up in that account
   * (through its role). While the role cannot be assumed the task is not found, so it stays
   * open, and is reported UNKNOWN after a day as any task FSx does not know.
   */
  outcomePorts(home: { ledger: LedgerPort; fsx: FsxTaskPort }): {
    ledger: LedgerPort;
    fsx: FsxTaskPort;
  };
}

interface RoutingOptions {
  readonly organization: OrganizationConfig | undefined;
  /** The container's own ports: the home account's. */
  readonly home: AccountPorts;
  /** Whether FSx may be called at all (false in a dry run). */
  readonly live: boolean;
  readonly associationCacheSeconds: number;
  /** RoleSessionName in the members' CloudTrail. */
  readonly sessionName: string;
}

/** Ports per account, created once per container and account. */
function createRouting(options: RoutingOptions): Routing {
  const { organization, home } = options;
  const accounts =
    organization === undefined
      ? undefined
      : createAccounts(stsClient, { organization, sessionName: options.sessionName });
  const adapters = new Map<string, FsxPort & FsxTaskPort>();

  /** The FSx adapter of a member whose role was assumed, one per account and container. */
  function adapterOf(
    account: string,
    credentials: NonNullable<typeof accounts>,
  ): FsxPort & FsxTaskPort {
    let fsx = adapters.get(account);
    if (fsx === undefined) {
      const client = fsxClientWith(credentials.credentials(account));
      fsx = memberFsx(
        createFsxAdapter(client, { cacheSeconds: options.associationCacheSeconds }),
        account,
      );
      adapters.set(account, fsx);
    }
    return fsx;
  }

  function memberPorts(account: string, fsx: FsxPort): AccountPorts {
    const durable = home.durable;
    return {
      account,
      fsx,
      durable:
        durable === undefined
          ? undefined
          : {
              ...durable,
              ledger: durable.ledger && memberLedger(durable.ledger, account),
              deferral: durable.deferral && memberDeferral(durable.deferral, account),
            },
    };
  }

  return {
    async portsFor(owner) {
      const account = memberAccountOf(owner, organization);
      if (account === undefined || accounts === undefined || !options.live) return home;
      const unassumable = await accounts.check(account);
      if (unassumable !== undefined) return memberPorts(account, unreachableFsx(unassumable));
      return memberPorts(account, adapterOf(account, accounts));
    },
    telemetryFor: (ports, telemetry) => withAccountTelemetry(telemetry, ports.account),
    outcomePorts(outcomeHome) {
      // Which account each open task belongs to, as the ledger's last openTasks() said.
      const accountOfTask = new Map<string, string>();
      const accountOfFileSystem = new Map<string, string>();
      const ledger: LedgerPort = {
        ...outcomeHome.ledger,
        async openTasks() {
          const open = await outcomeHome.ledger.openTasks();
          for (const task of open) {
            const account = memberAccountOf(task.account, organization);
            if (account === undefined) continue;
            accountOfTask.set(task.taskId, account);
            accountOfFileSystem.set(task.fileSystemId, account);
          }
          return open;
        },
        // A member's attempt items are keyed `<account>/<fs-id>` (memberLedger).
        markFailed: (fileSystemId, path, failure, at) => {
          const account = accountOfFileSystem.get(fileSystemId);
          const ledger =
            account === undefined ? outcomeHome.ledger : memberLedger(outcomeHome.ledger, account);
          return ledger.markFailed(fileSystemId, path, failure, at);
        },
      };
      const fsx: FsxTaskPort = {
        activeTasks: (fileSystemId) => outcomeHome.fsx.activeTasks(fileSystemId),
        async describeTasks(taskIds) {
          const byAccount = new Map<string | undefined, string[]>();
          for (const taskId of taskIds) {
            const account = accounts === undefined ? undefined : accountOfTask.get(taskId);
            byAccount.set(account, [...(byAccount.get(account) ?? []), taskId]);
          }
          const found: TaskStatus[] = [];
          for (const [account, ids] of byAccount) {
            if (account === undefined || accounts === undefined) {
              found.push(...(await outcomeHome.fsx.describeTasks(ids)));
            } else if ((await accounts.check(account)) === undefined) {
              found.push(...(await adapterOf(account, accounts).describeTasks(ids)));
            }
          }
          // In the order asked, as the adapter answers.
          const byId = new Map(found.map((status) => [status.taskId, status]));
          return taskIds.flatMap((taskId) => {
            const status = byId.get(taskId);
            return status === undefined ? [] : [status];
          });
        },
      };
      return { ledger, fsx };
    },
    async retrierRun(items, retrierHome, retrierOptions) {
      const groups = new Map<string | undefined, QueuedExport[]>();
      for (const item of items) {
        const account =
          accounts === undefined ? undefined : memberAccountOf(item.message.account, organization);
        groups.set(account, [...(groups.get(account) ?? []), item]);
      }
      const runs: { account: string | undefined; run: RetrierRun }[] = [];
      const runOf = new Map<string, RetrierRun>();
      const waits = new Map<string, string>();
      const waiting: RetrierWait[] = [];
      for (const [account, group] of groups) {
        let ports = retrierHome;
        if (account !== undefined && accounts !== undefined) {
          const unassumable = await accounts.check(account);
          if (unassumable !== undefined) {
            for (const item of group) waits.set(item.messageId, unassumable);
            waiting.push(...waitsOf(group, unassumable, account));
            continue;
          }
          ports = {
            fsx: adapterOf(account, accounts),
            ledger: memberLedger(retrierHome.ledger, account),
          };
        }
        const run = createRetrierRun(group, ports, retrierOptions);
        runs.push({ account, run });
        for (const item of group) runOf.set(item.messageId, run);
      }
      return {
        async settle(messageId) {
          const reason = waits.get(messageId);
          if (reason !== undefined) throw new RetryLaterError(reason);
          const run = runOf.get(messageId);
          if (run === undefined) throw new Error(`message ${messageId} is not part of this batch`);
          await run.settle(messageId);
        },
        async report() {
          const reports = await Promise.all(
            runs.map(async ({ account, run }) => withAccount(await run.report(), account)),
          );
          return mergeReports(reports, waiting, items.length, retrierOptions);
        },
      };
    },
  };
}

/** A member account's run report with every item naming the account, for the email. */
function withAccount(report: RetrierReport, account: string | undefined): RetrierReport {
  if (account === undefined) return report;
  const tag = <T extends object>(items: readonly T[]): T[] =>
    items.map((item) => ({ ...item, account }));
  return {
    ...report,
    started: tag(report.started),
    escalated: tag(report.escalated),
    refused: tag(report.refused),
    waiting: tag(report.waiting),
    deadLettered: tag(report.deadLettered),
  };
}

/** One wait per file system for messages whose account cannot be reached. */
function waitsOf(group: readonly QueuedExport[], reason: string, account: string): RetrierWait[] {
  const counts = new Map<string, number>();
  for (const item of group) {
    counts.set(item.message.fileSystemId, (counts.get(item.message.fileSystemId) ?? 0) + 1);
  }
  return [...counts].map(([fileSystemId, messages]) => ({
    fileSystemId,
    messages,
    reason,
    account,
  }));
}

/** The reports of one batch's runs (one per account) as one report: one email per invocation. */
function mergeReports(
  reports: readonly RetrierReport[],
  waiting: readonly RetrierWait[],
  messages: number,
  options: RetrierOptions,
): RetrierReport {
  return {
    generatedAt: reports[0]?.generatedAt ?? (options.now?.() ?? new Date()).toISOString(),
    region: options.region,
    messages,
    started: reports.flatMap((report) => report.started),
    escalated: reports.flatMap((report) => report.escalated),
    refused: reports.flatMap((report) => report.refused),
    waiting: [...reports.flatMap((report) => report.waiting), ...waiting],
    deadLettered: reports.flatMap((report) => report.deadLettered),
  };
}

/**
 * The analyzer's Kinesis event: each record's subscription payload is decoded and handed to
 * `analyze` with the raw data (the idempotency key), one record after another. A record that
 * cannot be decoded, or whose analysis fails, is answered as a batch item failure: Kinesis
 * retries it (and the records after it; idempotency answers those already done), then the
 * on-failure destination keeps it. A CONTROL_MESSAGE is skipped.
 */
function analyzeKinesis(
  event: { Records: unknown[] },
  context: Context,
  maxDecompressedBytes: number,
  analyze: (data: string, batch: LogBatch) => Promise<unknown>,
  onSkipped: (messageType: string) => void,
  onUndecodable: (error: unknown) => void,
): Promise<KinesisStreamBatchResponse> {
  const records = event.Records as KinesisStreamRecord[];
  return settleKinesisRecords(
    records,
    async (record) => {
      const at = `record ${record.kinesis?.sequenceNumber ?? '?'}`;
      let decoded: ReturnType<typeof decodeKinesisData>;
      try {
        decoded = decodeKinesisData(record.kinesis?.data, at, maxDecompressedBytes);
      } catch (error) {
        onUndecodable(error);
        throw error;
      }
      if (decoded.type === 'skipped') onSkipped(decoded.messageType);
      else await analyze(record.kinesis.data, decoded.batch);
    },
    context,
  );
}

export type { AccountPorts, Routing };
export { analyzeKinesis, createRouting };
