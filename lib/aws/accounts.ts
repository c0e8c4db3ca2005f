import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { AnalyzerError, describeError } from '../common/errors.ts';
import {
  accountScopedId,
  accountScopedToken,
  type MemberRoleConfig,
  memberRoleArn,
  unassumableReason,
} from '../common/organization.ts';
import type {
  AttemptHistory,
  DeferralPort,
  ExportRequest,
  FsxPort,
  LedgerPort,
  StartResult,
} from '../common/ports.ts';
import { errorName } from './aws-errors.ts';

/*
 * Organization mode: FSx in a member account is reached through the role infra/member-account.yml
 * creates there, with STS AssumeRole (docs/organization.md). Credentials are cached per account
 * until shortly before they expire; the home account keeps the function's own role and client.
 * The wrappers below make a member's ports carry its account: ledger keys, task tokens and
 * deferral messages (the home account's stay byte-identical to a single-account stack's).
 */

/** Temporary credentials as the SDK's credential providers return them. */
interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Refresh this long before expiry: a call signed now must not arrive with expired credentials. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** A failed AssumeRole is not tried again for this long: one STS call per minute, not per record. */
const FAILURE_HOLD_MS = 60_000;
/** AssumeRole's default session length; the member role's MaxSessionDuration allows it. */
const SESSION_SECONDS = 3600;

/** The member account's role could not be assumed; `reason` says so with the fix. */
class AssumeRoleError extends AnalyzerError {
  public readonly account: string;
  public constructor(account: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AssumeRoleError';
    this.account = account;
  }
}

interface AccountsOptions {
  readonly organization: MemberRoleConfig;
  /** RoleSessionName: shows in the member's CloudTrail who called (2-64 of [\w+=,.@-]). */
  readonly sessionName: string;
  /** Clock in milliseconds; injectable for tests. */
  readonly now?: () => number;
}

/** Per-account access for organization mode. */
interface Accounts {
  /** A credentials provider for the member account (cached, refreshed before expiry). */
  credentials(account: string): () => Promise<Credentials>;
  /** Assumes the member's role now (or uses the cache); undefined when it works, else why not. */
  check(account: string): Promise<string | undefined>;
  /** AssumeRole requests sent so far (the scale simulation counts them). */
  assumeRoleCalls(): number;
}

/**
 * Credentials per member account through STS AssumeRole on `sts` (the function's own role),
 * cached until five minutes before they expire. Concurrent callers share one request.
 */
function createAccounts(sts: STSClient, options: AccountsOptions): Accounts {
  const now = options.now ?? Date.now;
  const cache = new Map<string, Credentials>();
  const pending = new Map<string, Promise<Credentials>>();
  const failures = new Map<string, { error: AssumeRoleError; until: number }>();
  let calls = 0;

  async function assume(account: string): Promise<Credentials> {
    const roleArn = memberRoleArn(account, options.organization);
    calls++;
    try {
      const response = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: options.sessionName,
          DurationSeconds: SESSION_SECONDS,
        }),
      );
      const c = response.Credentials;
      if (
        c?.AccessKeyId === undefined ||
        c.SecretAccessKey === undefined ||
        c.SessionToken === undefined ||
        c.Expiration === undefined
      ) {
        throw new Error('STS AssumeRole answered without credentials');
      }
      const credentials: Credentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
      cache.set(account, credentials);
      failures.delete(account);
      return credentials;
    } catch (error) {
      const reason = `${errorName(error)}: ${describeError(error)}`;
      const failure = new AssumeRoleError(
        account,
        unassumableReason(account, options.organization, reason),
        { cause: error },
      );
      failures.set(account, { error: failure, until: now() + FAILURE_HOLD_MS });
      throw failure;
    }
  }

  async function credentialsOf(account: string): Promise<Credentials> {
    const cached = cache.get(account);
    if (cached !== undefined && cached.expiration.getTime() - REFRESH_MARGIN_MS > now()) {
      return cached;
    }
    const failed = failures.get(account);
    if (failed !== undefined && failed.until > now()) throw failed.error;
    let request = pending.get(account);
    if (request === undefined) {
      request = assume(account).finally(() => pending.delete(account));
      pending.set(account, request);
    }
    return request;
  }

  return {
    credentials: (account) => () => credentialsOf(account),
    async check(account) {
      try {
        await credentialsOf(account);
        return undefined;
      } catch (error) {
        if (error instanceof AssumeRoleError) return error.message;
        throw error;
      }
    },
    assumeRoleCalls: () => calls,
  };
}

/** The FSx port of a member account: the tokens it sends carry the account. */
function memberFsx<T extends FsxPort>(fsx: T, account: string): T {
  return {
    ...fsx,
    startExport: (request: ExportRequest) =>
      fsx.startExport({
        ...request,
        clientRequestToken: accountScopedToken(request.clientRequestToken, account),
      }),
  };
}

/**
 * The FSx port of a member whose role cannot be assumed: nothing reaches FSx, every task is
 * refused for now (`MemberRoleUnavailable`, retried later), so its work waits in the deferral
 * queue with `reason`, which names the account and the fix.
 */
function unreachableFsx(reason: string): FsxPort {
  return {
    listAssociations: () => Promise.reject(new AnalyzerError(reason)),
    startExport: (): Promise<StartResult> =>
      Promise.resolve({ ok: false, error: 'MemberRoleUnavailable', message: reason }),
  };
}

function unscoped(history: AttemptHistory, fileSystemId: string): AttemptHistory {
  return { ...history, fileSystemId };
}

/**
 * The ledger as a member account's work sees it: attempt and window keys are
 * `<account>/<fs-id>`, tracked tasks carry the account (the outcome check asks FSx in it) and
 * the token FSx got.
 */
function memberLedger(ledger: LedgerPort, account: string): LedgerPort {
  const scoped = (fileSystemId: string) => accountScopedId(fileSystemId, account);
  return {
    async attempts(fileSystemId, paths) {
      const found = await ledger.attempts(scoped(fileSystemId), paths);
      return new Map([...found].map(([path, history]) => [path, unscoped(history, fileSystemId)]));
    },
    recordAttempt: (fileSystemId, paths, taskId, at) =>
      ledger.recordAttempt(scoped(fileSystemId), paths, taskId, at),
    claimWindow: (fileSystemId, at, windowSeconds) =>
      ledger.claimWindow(scoped(fileSystemId), at, windowSeconds),
    trackTask: (task) =>
      ledger.trackTask({
        ...task,
        clientRequestToken: accountScopedToken(task.clientRequestToken, account),
        account,
      }),
    openTasks: () => ledger.openTasks(),
    closeTask: (taskId, lifecycle, at) => ledger.closeTask(taskId, lifecycle, at),
    reopenTask: (taskId, closedAt) => ledger.reopenTask(taskId, closedAt),
    markFailed: (fileSystemId, path, failure, at) =>
      ledger.markFailed(scoped(fileSystemId), path, failure, at),
  };
}

/** The deferral queue as a member account's work sees it: every message names the account. */
function memberDeferral(deferral: DeferralPort, account: string): DeferralPort {
  return {
    defer: (items) =>
      deferral.defer(items.map((item) => ({ ...item, message: { ...item.message, account } }))),
  };
}

export type { Accounts, AccountsOptions, Credentials };
export { AssumeRoleError, createAccounts, memberDeferral, memberFsx, memberLedger, unreachableFsx };
