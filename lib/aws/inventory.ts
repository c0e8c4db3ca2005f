import {
  type CloudWatchLogsClient,
  DescribeSubscriptionFiltersCommand,
  type SubscriptionFilter,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  type DataRepositoryAssociation,
  DescribeDataRepositoryAssociationsCommand,
  DescribeFileSystemsCommand,
  type FileSystem,
  type FSxClient,
} from '@aws-sdk/client-fsx';
import {
  ListSubscriptionsByTopicCommand,
  type SNSClient,
  type Subscription,
} from '@aws-sdk/client-sns';
import { AnalyzerError } from '../common/errors.ts';
import { ASSOCIATIONS_PAGE_SIZE, loggedTo } from '../common/fsx.ts';
import { display } from '../common/text.ts';
import type {
  AssociationFacts,
  Checked,
  FileSystemFacts,
  FileSystemInventory,
  Inventory,
  LogGroupFacts,
  SubscriptionFilterFacts,
  TopicFacts,
  TopicInventory,
} from '../common/types.ts';
import {
  ACCESS_DENIED,
  BAD_CREDENTIALS,
  credentialsProblem,
  EXPIRED,
  errorField,
  isMissingCredentials,
  isNetworkError,
} from './aws-errors.ts';
import { allPages, mapLimited } from './calls.ts';

/*
 * Reads what `doctor` checks: the FSx for Lustre file systems (DescribeFileSystems), each one's
 * data repository associations (DescribeDataRepositoryAssociations), the subscription filters
 * of their event log groups (DescribeSubscriptionFilters) and, when given a topic, the summary
 * topic's subscriptions (ListSubscriptionsByTopic). Only a failure to list the file systems fails
 * the run; a lookup that fails for one file system, one log group or the topic becomes that
 * item's "could not check" finding, so one missing permission does not hide everything else.
 */

/** DescribeFileSystems answers at most 2147483647 a page; 100 keeps the responses small. */
const FILE_SYSTEM_PAGE = 100;
/** DescribeSubscriptionFilters: limit 1-50. */
const FILTER_PAGE = 50;
/** Bounds a NextToken that never ends (a file system has at most 8 associations). */
const MAX_PAGES = 100;
/** Parallel lookups: enough to be quick on a busy account, few enough not to be throttled. */
const CONCURRENCY = 4;

/** A failure that stops the whole run (file systems cannot be listed); exit status 2. */
class InventoryError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InventoryError';
  }
}

interface InventoryClients {
  readonly fsx: FSxClient;
  readonly logs: CloudWatchLogsClient;
  /** Reads the topic's subscriptions; needed only with `topicArn`. */
  readonly sns?: SNSClient;
}

interface InventoryOptions {
  /** Only this file system (--file-system-id). */
  readonly fileSystemId?: string | undefined;
  /** Shown in findings and messages; the clients' own Region is used for the calls. */
  readonly region?: string | undefined;
  /** Progress for long runs (stderr in the CLI). */
  readonly progress?: ((text: string) => void) | undefined;
  /** The summary topic whose subscriptions are checked (--topic-arn, SUMMARY_TOPIC_ARN). */
  readonly topicArn?: string | undefined;
}

/** `Name: first line of the message`, sanitised and short: what went wrong, for one line. */
function reasonOf(error: unknown): string {
  const name = errorField(error, 'name');
  const message = (errorField(error, 'message') ?? String(error)).split(/\r?\n/, 1)[0] ?? '';
  const text = name === undefined || name === 'Error' ? message : `${name}: ${message}`;
  return display(text.trim() === '' ? 'unknown error' : text, 200);
}

function isNamed(error: unknown, ...names: string[]): boolean {
  const name = errorField(error, 'name');
  return name !== undefined && names.includes(name);
}

// Credentials that are no good, expired ones included: either way they must be refreshed.
const REFUSED_CREDENTIALS = new Set([...BAD_CREDENTIALS, ...EXPIRED]);
/** SNS's own name for a refused call (the SNS API reference, Common Errors). */
const SNS_DENIED = 'AuthorizationErrorException';

/** The credentials were refused, or may not make the call: a person must grant something. */
function isDenied(error: unknown): boolean {
  const name = errorField(error, 'name') ?? '';
  return ACCESS_DENIED.has(name) || REFUSED_CREDENTIALS.has(name) || name === SNS_DENIED;
}

/** What to do about a failed DescribeFileSystems, as a parenthesis after the reason. */
function listingHint(error: unknown): string {
  const name = errorField(error, 'name') ?? '';
  if (REFUSED_CREDENTIALS.has(name)) return ' (the AWS credentials were refused: refresh them)';
  if (ACCESS_DENIED.has(name)) return ' (needs fsx:DescribeFileSystems)';
  // The same advice scan gives when CloudWatch Logs cannot be reached (lib/aws/logs.ts).
  if (isNetworkError(error)) return ' (check the network, AWS_ENDPOINT_URL and --region)';
  // Throttling after the retries, server errors: the reason says it all.
  return '';
}

function toFileSystem(entry: FileSystem): FileSystemFacts | undefined {
  if (entry.FileSystemId === undefined) return undefined;
  const log = entry.LustreConfiguration?.LogConfiguration;
  const name = entry.Tags?.find((tag) => tag.Key === 'Name')?.Value;
  return {
    fileSystemId: entry.FileSystemId,
    lifecycle: entry.Lifecycle ?? 'UNKNOWN',
    name,
    arn: entry.ResourceARN,
    ownerId: entry.OwnerId,
    creationTime: entry.CreationTime,
    logging:
      log?.Level === undefined ? undefined : { level: log.Level, destination: log.Destination },
  };
}

function toAssociation(entry: DataRepositoryAssociation): AssociationFacts | undefined {
  if (entry.AssociationId === undefined) return undefined;
  return {
    associationId: entry.AssociationId,
    lifecycle: entry.Lifecycle ?? 'UNKNOWN',
    fileSystemPath: entry.FileSystemPath,
    dataRepositoryPath: entry.DataRepositoryPath,
    failureMessage: entry.FailureDetails?.Message,
    exportEvents: entry.S3?.AutoExportPolicy?.Events ?? [],
    importEvents: entry.S3?.AutoImportPolicy?.Events ?? [],
    importedFileChunkSize: entry.ImportedFileChunkSize,
  };
}

async function listFileSystems(
  fsx: FSxClient,
  options: InventoryOptions,
): Promise<{ lustre: FileSystemFacts[] }> {
  const where = options.region === undefined ? '' : ` in ${options.region}`;
  let entries: FileSystem[] | undefined;
  try {
    entries = await allPages(MAX_PAGES, async (token) => {
      const response = await fsx.send(
        new DescribeFileSystemsCommand({
          ...(options.fileSystemId === undefined
            ? { MaxResults: FILE_SYSTEM_PAGE }
            : { FileSystemIds: [options.fileSystemId] }),
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      return { items: response.FileSystems, next: response.NextToken };
    });
  } catch (error) {
    if (isNamed(error, 'FileSystemNotFound') && options.fileSystemId !== undefined) {
      throw new InventoryError(`file system ${options.fileSystemId} not found${where}`, {
        cause: error,
      });
    }
    // One wording for every command (lib/aws/aws-errors.ts), keeping the SDK's advice when it has some.
    if (isMissingCredentials(error)) {
      throw new InventoryError(credentialsProblem(error), { cause: error });
    }
    throw new InventoryError(
      `cannot list FSx file systems${where}: ${reasonOf(error)}${listingHint(error)}`,
      { cause: error },
    );
  }
  if (entries === undefined) {
    throw new InventoryError(`DescribeFileSystems returned more than ${MAX_PAGES} pages`);
  }
  const lustre: FileSystemFacts[] = [];
  for (const entry of entries) {
    if (entry.FileSystemType !== 'LUSTRE') {
      if (options.fileSystemId !== undefined && entry.FileSystemId === options.fileSystemId) {
        throw new InventoryError(
          `${options.fileSystemId} is an FSx for ${display(entry.FileSystemType ?? 'unknown', 20)} ` +
            'file system; doctor checks FSx for Lustre file systems only',
        );
      }
      continue;
    }
    const facts = toFileSystem(entry);
    if (facts !== undefined) lustre.push(facts);
  }
  return { lustre };
}

async function listAssociations(
  fsx: FSxClient,
  fileSystemId: string,
): Promise<Checked<readonly AssociationFacts[]>> {
  const permission = 'fsx:DescribeDataRepositoryAssociations';
  let entries: DataRepositoryAssociation[] | undefined;
  try {
    entries = await allPages(MAX_PAGES, async (token) => {
      const response = await fsx.send(
        new DescribeDataRepositoryAssociationsCommand({
          Filters: [{ Name: 'file-system-id', Values: [fileSystemId] }],
          MaxResults: ASSOCIATIONS_PAGE_SIZE,
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      return { items: response.Associations, next: response.NextToken };
    });
  } catch (error) {
    // FSx answers "not found" rather than an empty list when there is none.
    if (isNamed(error, 'DataRepositoryAssociationNotFound')) return { ok: true, value: [] };
    return { ok: false, reason: reasonOf(error), permission, denied: isDenied(error) };
  }
  if (entries === undefined) {
    return { ok: false, reason: `more than ${MAX_PAGES} pages of associations`, permission };
  }
  const associations: AssociationFacts[] = [];
  for (const entry of entries) {
    const facts = toAssociation(entry);
    if (facts !== undefined) associations.push(facts);
  }
  return { ok: true, value: associations };
}

async function describeLogGroup(
  logs: CloudWatchLogsClient,
  logGroup: string,
): Promise<Checked<LogGroupFacts>> {
  const permission = 'logs:DescribeSubscriptionFilters';
  let entries: SubscriptionFilter[] | undefined;
  try {
    entries = await allPages(MAX_PAGES, async (token) => {
      const response = await logs.send(
        new DescribeSubscriptionFiltersCommand({
          logGroupName: logGroup,
          limit: FILTER_PAGE,
          ...(token === undefined ? {} : { nextToken: token }),
        }),
      );
      return { items: response.subscriptionFilters, next: response.nextToken };
    });
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return { ok: true, value: { exists: false } };
    return { ok: false, reason: reasonOf(error), permission, denied: isDenied(error) };
  }
  if (entries === undefined) {
    return {
      ok: false,
      reason: `more than ${MAX_PAGES} pages of subscription filters`,
      permission,
    };
  }
  const filters: SubscriptionFilterFacts[] = entries.map((entry) => ({
    filterName: entry.filterName ?? '',
    destinationArn: entry.destinationArn ?? '',
    filterPattern: entry.filterPattern ?? '',
  }));
  return { ok: true, value: { exists: true, filters } };
}

/** Whether a topic subscription is confirmed: a pending one has no ARN yet. */
function isConfirmed(entry: Subscription): boolean {
  // SNS lists "PendingConfirmation" (and "Deleted" while one is removed) in place of the ARN.
  return entry.SubscriptionArn?.startsWith('arn:') === true;
}

/** The topic's subscriptions: their protocols and whether each is confirmed, never endpoints. */
async function describeTopic(sns: SNSClient, topicArn: string): Promise<Checked<TopicFacts>> {
  const permission = 'sns:ListSubscriptionsByTopic';
  let entries: Subscription[] | undefined;
  try {
    entries = await allPages(MAX_PAGES, async (token) => {
      const response = await sns.send(
        new ListSubscriptionsByTopicCommand({
          TopicArn: topicArn,
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      return { items: response.Subscriptions, next: response.NextToken };
    });
  } catch (error) {
    if (isNamed(error, 'NotFoundException')) return { ok: true, value: { exists: false } };
    return { ok: false, reason: reasonOf(error), permission, denied: isDenied(error) };
  }
  if (entries === undefined) {
    return { ok: false, reason: `more than ${MAX_PAGES} pages of subscriptions`, permission };
  }
  const subscriptions = entries.map((entry) => ({
    protocol: entry.Protocol ?? 'unknown',
    confirmed: isConfirmed(entry),
  }));
  return { ok: true, value: { exists: true, subscriptions } };
}

/** The topic's lookup, when a topic was given; without an SNS client it cannot be looked up. */
async function readTopic(
  sns: SNSClient | undefined,
  topicArn: string | undefined,
): Promise<TopicInventory | undefined> {
  if (topicArn === undefined) return undefined;
  if (sns === undefined) {
    const reason = 'no SNS client';
    return { topicArn, lookup: { ok: false, reason, permission: 'sns:ListSubscriptionsByTopic' } };
  }
  return { topicArn, lookup: await describeTopic(sns, topicArn) };
}

/**
 * Reads the inventory doctor checks. Throws an InventoryError (one line naming the permission)
 * only when the file systems cannot be listed, or the named one does not exist or is not Lustre.
 */
async function readInventory(
  clients: InventoryClients,
  options: InventoryOptions = {},
): Promise<Inventory> {
  const { lustre } = await listFileSystems(clients.fsx, options);
  options.progress?.(
    `doctor: ${lustre.length} FSx for Lustre file system(s); reading associations`,
  );
  const associations = await mapLimited(lustre, CONCURRENCY, (fileSystem) =>
    listAssociations(clients.fsx, fileSystem.fileSystemId),
  );
  const fileSystems: FileSystemInventory[] = lustre.map((fileSystem, index) => ({
    fileSystem,
    associations: associations[index] ?? {
      ok: false,
      reason: 'not looked up',
      permission: 'fsx:DescribeDataRepositoryAssociations',
    },
  }));
  const groups = [
    ...new Set(
      lustre
        .map((fileSystem) => loggedTo(fileSystem.logging))
        .filter((group): group is string => group !== undefined),
    ),
  ];
  if (groups.length > 0) {
    options.progress?.(`doctor: reading the subscription filters of ${groups.length} log group(s)`);
  }
  const lookups = await mapLimited(groups, CONCURRENCY, (group) =>
    describeLogGroup(clients.logs, group),
  );
  const logGroups = new Map<string, Checked<LogGroupFacts>>();
  groups.forEach((group, index) => {
    const lookup = lookups[index];
    if (lookup !== undefined) logGroups.set(group, lookup);
  });
  const topic = await readTopic(clients.sns, options.topicArn);
  return {
    region: options.region,
    fileSystems,
    logGroups,
    ...(topic === undefined ? {} : { topic }),
  };
}

export type { InventoryClients, InventoryOptions };
export { InventoryError, readInventory };
