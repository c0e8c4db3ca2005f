import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { ROOT, type Statement, type Template } from './osls.ts';

/*
 * docs/permissions.md, rendered from a packaged template: per function its role's statements
 * (actions, resources, conditions), then the resource policies. stack.test.ts renders it from the
 * default package and fails when the file differs; FEA_UPDATE_DOCS=1 rewrites the file instead.
 */

/** The command that rewrites the file. */
const UPDATE_COMMAND = 'FEA_UPDATE_DOCS=1 FEA_SKIP_BUILD=1 npx vitest run test/infra/stack.test.ts';

/** The functions in the order of serverless.yml, with their roles. */
const ROLES = [
  ['analyzer', 'AnalyzerRole'],
  ['retrier', 'RetrierRole'],
  ['outcomes', 'OutcomesRole'],
  ['digest', 'DigestRole'],
  ['doctor', 'DoctorRole'],
] as const;

/** Why each statement is there, by Sid: a statement without one fails the rendering. */
const WHY: Readonly<Record<string, string>> = {
  WriteOwnLogs:
    'The Lambda runtime writes the function’s logs. The stack creates the group, so no `logs:CreateLogGroup`.',
  StartExportTasksOnFileSystems:
    'Starts the re-export tasks, on the file systems of `fileSystemIds` (and with `fileSystemTag` only on those carrying the tag).',
  StartExportTasksCreateTasks:
    'The task the same call creates: its id is only known once created. Without the tag condition, which a new untagged task could not meet; the file system is still checked above. Tasks are not tagged, so no `fsx:TagResource`.',
  ReadDataRepositoryAssociations:
    'Maps S3 keys to file-system paths and finds the report path. A read-only listing with no resource type: `*` is the only resource.',
  ReadTasksAndAssociations:
    'Finds the tasks running on a file system, and the report path. Read-only listings with no resource type.',
  ReadTasks: 'Looks up the started tasks by id. A read-only listing with no resource type.',
  ReadFileSystems:
    'Reads the file systems’ logging settings and their associations. Read-only listings with no resource type.',
  ReadSubscriptionFilters:
    'Whether each FSx log group carries the analyzer’s subscription filter. FSx logs only to `/aws/fsx/…` groups.',
  PublishSummary: 'The function’s emails, to the summary topic.',
  PublishChat:
    'The function’s chat alerts (custom notifications), to the chat topic. Its key is the summary topic’s, which UseTopicKey covers.',
  ReadTopicSubscriptions:
    'Whether the summary topic has a confirmed subscription: a pending one receives nothing. Read-only, on this topic only.',
  UseTopicKey:
    'SNS encrypts what the function publishes to the encrypted topic with the function’s rights: only through SNS (`kms:ViaService`).',
  KeepFailedBatches:
    'Lambda sends a batch that failed every attempt to the on-failure destination with the function’s role.',
  DeferReexports: 'Queues the re-exports that must wait (SendMessageBatch).',
  ConsumeDeferralQueue:
    'The event source mapping polls with the function’s role. No `ChangeMessageVisibility`: nothing sends it.',
  LedgerAttempts:
    'Attempt histories and recording attempts (conditional writes; the consistent read after a failed condition): `attempt#` items only.',
  LedgerTrackTasks: 'Tracks a started task for the outcome check: `task#` items only.',
  LedgerClaimWindows:
    'The per-file-system coalescing window claim (a conditional write): `window#` items only.',
  LedgerDigestWindows: 'Reads and counts into the alert windows: `digest#` items only.',
  LedgerIdempotency:
    'Powertools idempotency records of the analyzer, keyed by its function name: a batch delivered twice runs once.',
  LedgerFindOpenTasks:
    'Finds the open tasks: a filtered Scan. Scan has no leading key, so `dynamodb:LeadingKeys` cannot limit it.',
  LedgerCloseTasks: 'Closes each finished task once, or reopens it: `task#` items only.',
  LedgerMarkFailedAgain:
    'Marks a path that failed again in its re-export task (its completion report) on its attempt history, so its next failure is escalated with that code: `attempt#` items only.',
  ReadCompletionReports:
    'Reads back each finished task’s `failures.csv` (at most 1 MiB of it): only `task-*/failures.csv` in a `fsx-export-analyzer-reports` folder, and under `reportPath` when it is set. No other object of any bucket, no listing.',
  LedgerFindDueWindows:
    'Finds the due alert windows: a filtered Scan, which `dynamodb:LeadingKeys` cannot limit.',
  LedgerRollDigestWindows:
    'Rolls the windows and clears the published digests (conditional writes): `digest#` items only.',
  LedgerDoctorState: 'The previous run’s findings: the one item of this Region.',
  SendTraces: 'X-Ray active tracing. No resource type.',
  ReadExportBacklog:
    'Reads the automatic-export backlog (AWS/FSx AgeOfOldestQueuedMessage). GetMetricData has no resource type and no condition key that names a metric, so it cannot be scoped: read-only, metrics of this account and Region.',
  AccountAdministersKeyAndDelegatesUseToIam:
    'The account administers the key; IAM policies (the roles above) decide who uses it.',
  CloudWatchAlarmsPublishToEncryptedTopic:
    'CloudWatch alarms of this account and Region publish to the encrypted topic.',
  CloudWatchAlarmsOfThisAccountPublish:
    'CloudWatch alarms of this account and Region publish to the topic.',
  DenyUnencryptedTransport: 'Nothing without TLS.',
};

/** Text with the default stage's names made generic. */
function generic(text: string): string {
  return text
    .replaceAll('fsx-export-analyzer-dev', '<service>-<stage>')
    .replaceAll(`\${AWS::Partition}`, '<partition>')
    .replaceAll(`\${AWS::Region}`, '<region>')
    .replaceAll(`\${AWS::AccountId}`, '<account>')
    .replaceAll(`\${AWS::URLSuffix}`, '<url-suffix>');
}

function code(text: string): string {
  return `\`${generic(text)}\``;
}

/** A template value (a Ref, Fn::GetAtt, Fn::Sub or plain string) as the docs show it. */
function value(item: unknown): string {
  if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
    return code(String(item));
  }
  if (item !== null && typeof item === 'object') {
    const entry = item as Record<string, unknown>;
    const ref = entry['Ref'];
    if (typeof ref === 'string') return ref.startsWith('AWS::') ? code(`\${${ref}}`) : ref;
    const getAtt = entry['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `${getAtt[0]} (${getAtt[1]})`;
    if (typeof entry['Fn::Sub'] === 'string') return code(entry['Fn::Sub']);
  }
  return code(JSON.stringify(item));
}

function list(item: unknown): unknown[] {
  return Array.isArray(item) ? item : [item];
}

function conditions(condition: unknown): string {
  if (condition === undefined) return '—';
  return Object.entries(condition as Record<string, Record<string, unknown>>)
    .flatMap(([operator, keys]) =>
      Object.entries(keys).map(
        ([key, values]) => `${operator} ${code(key)}: ${list(values).map(value).join(', ')}`,
      ),
    )
    .join('<br>');
}

function principal(item: unknown): string {
  if (item === '*') return '`*`';
  return Object.entries(item as Record<string, unknown>)
    .flatMap(([kind, values]) => list(values).map((entry) => `${kind} ${value(entry)}`))
    .join('<br>');
}

function why(sid: string | undefined): string {
  const text = sid === undefined ? undefined : WHY[sid];
  if (text === undefined) throw new Error(`docs/permissions.md: no explanation for Sid ${sid}`);
  return text;
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
}

function statementTable(statements: readonly Statement[], withPrincipal: boolean): string[] {
  const head = withPrincipal
    ? ['Statement', 'Effect', 'Principal', 'Actions', 'Resources', 'Conditions', 'Why']
    : ['Statement', 'Actions', 'Resources', 'Conditions', 'Why'];
  const lines = [row(head), row(head.map(() => '---'))];
  for (const statement of statements) {
    const actions = list(statement.Action).map(value).join('<br>');
    const resources = list(statement.Resource).map(value).join('<br>');
    const cells = withPrincipal
      ? [
          String(statement.Sid),
          statement.Effect,
          principal(statement.Principal),
          actions,
          resources,
          conditions(statement.Condition),
          why(statement.Sid),
        ]
      : [
          String(statement.Sid),
          actions,
          resources,
          conditions(statement.Condition),
          why(statement.Sid),
        ];
    lines.push(row(cells));
  }
  return lines;
}

interface PolicyResource {
  readonly Type: string;
  readonly Condition?: string;
  readonly Properties?: Record<string, unknown>;
}

function statementsOf(document: unknown): Statement[] {
  return ((document as { Statement?: Statement[] } | undefined)?.Statement ?? []).slice();
}

/** When a conditional policy applies: its condition, named by the parameter behind it. */
function when(policy: PolicyResource): string {
  if (policy.Condition === undefined) return '';
  if (policy.Condition === 'ChatOn') {
    return ' (only with a chat channel, the `chat…` parameters: condition ChatOn)';
  }
  if (policy.Condition !== 'TracingEnabled')
    throw new Error(`unknown condition ${policy.Condition}`);
  return ' (only with `tracing=true`: condition TracingEnabled)';
}

/**
 * Markdown as the repository's formatter writes it (Biome pads the table columns), so that the
 * generated file passes `npm run lint` as it is.
 */
function formatMarkdown(text: string): string {
  const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  return execFileSync(
    process.execPath,
    [biome, 'format', '--stdin-file-path=docs/permissions.md'],
    {
      cwd: ROOT,
      input: text,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

/** Renders docs/permissions.md from the default package's template. */
function renderPermissions(template: Template): string {
  const resources = template.Resources as Record<string, PolicyResource>;
  const attached = Object.entries(resources).filter(([, item]) => item.Type === 'AWS::IAM::Policy');
  const out: string[] = [
    '# Permissions',
    '',
    `<!-- Generated from the packaged template by test/infra/stack.test.ts: do not edit. After a change to infra/ or serverless.yml, run ${UPDATE_COMMAND} -->`,
    '',
    'What each Lambda function may do, and what the stack’s resource policies allow, as `npm run package` generates them with the default parameters. Each function has a role of its own (`infra/iam.yml`) with only the calls its code sends and what Lambda, SNS and X-Ray do with the role; `test/infra/calls.ts` lists those calls and the infra tests check that the roles grant them and nothing else. `<service>-<stage>`, `<partition>`, `<region>` and `<account>` stand for this stack’s names, `<url-suffix>` for `amazonaws.com` (`amazonaws.com.cn` in the China Regions).',
    '',
    'Parameters that change these grants:',
    '',
    '- `fileSystemIds` (default `*`): the file systems `StartExportTasksOnFileSystems` names, instead of `file-system/*`.',
    '- `fileSystemTag` (`key=value`, default none): adds `StringEquals aws:ResourceTag/<key>: <value>` to `StartExportTasksOnFileSystems`, so tasks start only on file systems carrying the tag. Outside the dev stages (`dev`, `local`, `test`, `dev-…`), `npm run package` warns when neither this nor an id list limits the file systems.',
    '- `tracing` (default `false`): `true` attaches the X-Ray policy TracingPolicy (below) to every role.',
    '- `chatSlackWorkspaceId` and `chatSlackChannelId`, or `chatTeamsTeamId`, `chatTeamsTenantId` and `chatTeamsChannelId` (default none): a chat channel. The stack then creates the chat topic, attaches ChatPublishPolicy (below) to every role, and gives the channel configuration a role with no permissions and the guardrail `ReadOnlyAccess` (`infra/chat.yml`).',
    '- `fileSystemIds` and `backlogThresholdMinutes` (default 60) also give each listed file system an export-backlog alarm to the summary topic (no alarm for `*`); alarms need no role.',
    '',
    'The ledger table holds several kinds of items, told apart by the prefix of their key `id`. Every keyed grant on it carries `dynamodb:LeadingKeys` for the kinds the function uses, and a `Null` condition so that a request without a key (Scan) never matches it. Scan cannot be limited by key: the outcome check and the digest function, which scan, have it in a statement of its own.',
    '',
  ];
  for (const [name, roleId] of ROLES) {
    const role = resources[roleId];
    if (role === undefined) throw new Error(`the template has no ${roleId}`);
    const policies = (role.Properties?.['Policies'] ?? []) as Array<{ PolicyDocument: unknown }>;
    out.push(`## ${name} (role ${roleId})`, '');
    out.push(
      ...statementTable(
        policies.flatMap((policy) => statementsOf(policy.PolicyDocument)),
        false,
      ),
    );
    const extra = attached
      .filter(([, policy]) => JSON.stringify(policy.Properties?.['Roles']).includes(`"${roleId}"`))
      .map(([policyId, policy]) => `${policyId}${when(policy)}`);
    if (extra.length > 0) out.push('', `Also attached: ${extra.join(', ')}, below.`);
    out.push('');
  }
  for (const [policyId, policy] of attached) {
    const roles = list(policy.Properties?.['Roles']).map(value).join(', ');
    out.push(`## ${policyId}${when(policy)}`, '', `Attached to ${roles}.`, '');
    out.push(...statementTable(statementsOf(policy.Properties?.['PolicyDocument']), false), '');
  }
  out.push(
    '## Resource policies',
    '',
    'The key policy of the stack’s key (it encrypts only the summary topic; the queues use SQS-owned keys and the table the AWS managed key `aws/dynamodb`), the topic policy and the queue policies. The deployment bucket osls creates is encrypted, versioned, blocks public access, and its policy refuses every request without TLS.',
    '',
  );
  const documents: Array<[string, unknown]> = [];
  for (const [logicalId, item] of Object.entries(resources)) {
    if (item.Type === 'AWS::KMS::Key') documents.push([logicalId, item.Properties?.['KeyPolicy']]);
    if (item.Type === 'AWS::SNS::TopicPolicy' || item.Type === 'AWS::SQS::QueuePolicy') {
      const targets = list(item.Properties?.['Topics'] ?? item.Properties?.['Queues'])
        .map(value)
        .join(', ');
      documents.push([
        `${logicalId} (on ${targets})${when(item)}`,
        item.Properties?.['PolicyDocument'],
      ]);
    }
  }
  for (const [title, document] of documents) {
    out.push(`### ${title}`, '', ...statementTable(statementsOf(document), true), '');
  }
  return formatMarkdown(`${out.join('\n').trimEnd()}\n`);
}

export { renderPermissions, UPDATE_COMMAND };
