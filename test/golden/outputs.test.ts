import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodeLambdaEvent } from '../../lib/analyze/decode.ts';
import { renderEmail } from '../../lib/analyze/email.ts';
import { renderTerminal } from '../../lib/analyze/terminal.ts';
import type { FileSystemFacts, Inventory, Publication, Report } from '../../lib/common/types.ts';
import { renderDigestEmail } from '../../lib/digest/email.ts';
import { doctorChanges } from '../../lib/doctor/changes.ts';
import { diagnose } from '../../lib/doctor/diagnose.ts';
import { renderDoctorAlert, renderDoctorJson, renderDoctorText } from '../../lib/doctor/render.ts';
import { renderOutcomeEmail, renderRetrierEmail } from '../../lib/reexport/email.ts';
import { digest, KEY, recovered } from '../helpers/digests.ts';
import {
  ACCOUNT,
  ANALYZER,
  association,
  DOCTOR_AT,
  fileSystem,
  filter,
  GROUP,
  REGION,
  subscribed,
} from '../helpers/doctor.ts';
import { endedTasks } from '../helpers/fake-ports.ts';
import { FS } from '../helpers/fixtures.ts';
import { queuedOutcome, reportOf, startedOutcome, task } from '../helpers/reports.ts';
import { tooWide } from '../helpers/width.ts';

/*
 * Golden outputs: what a person sees (CLI on the bundled samples, every email) compared byte for
 * byte with snapshots taken before a change meant to keep behaviour (a move, a refactor, a
 * speed-up). A difference here is a behaviour change: either a bug, or a deliberate change whose
 * snapshot is updated in the same commit (`npx vitest run test/golden -u`) and named in its message.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fsx-export-analyzer.js');
const SNAPSHOTS = './__snapshots__';
const run = promisify(execFile);

/** Replaces times taken from the clock (not from the input) so a run can be compared with another. */
function withoutClock(text: string, startedAt: number): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, (iso) =>
      Date.parse(iso) >= startedAt - 60_000 ? '<now>' : iso,
    )
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\b1\d{12}\b/g, (ms) => (Number(ms) >= startedAt - 60_000 ? '<now-ms>' : ms));
}

async function cli(args: readonly string[]): Promise<string> {
  const startedAt = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of [
    'DEBUG',
    'DRY_RUN',
    'SUMMARY_TOPIC_ARN',
    'REPORT_PATH',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
  ]) {
    delete env[name];
  }
  const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, env });
  return withoutClock(`${stdout}\n--- stderr ---\n${stderr}`, startedAt);
}

function email(publication: Publication): string {
  return `Subject: ${publication.subject}\n${JSON.stringify(publication.attributes ?? {})}\n\n${publication.body}`;
}

const CLI_RUNS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['analyze-events-terminal', ['analyze', 'samples/events']],
  ['analyze-events-json', ['analyze', '--json', 'samples/events']],
  ['analyze-events-email', ['analyze', '--email', 'samples/events']],
  ['analyze-lines-terminal', ['analyze', 'samples/lines']],
  ['analyze-lines-email', ['analyze', '--email', 'samples/lines']],
  ['analyze-filter-log-events', ['analyze', 'samples/filter-log-events.json']],
  ['invoke-dry-run', ['invoke', '--dry-run', 'samples/events/prod-lustre-cfd.json']],
  ['make-event', ['make-event', 'samples/lines/prod-lustre-cfd.log']],
  ['help', ['--help']],
];

describe('Golden: the CLI on the bundled samples', () => {
  it.each(CLI_RUNS)('%s', async (name, args) => {
    // Act
    const output = await cli(args);

    // Assess
    await expect(output).toMatchFileSnapshot(`${SNAPSHOTS}/${name}.txt`);
    // The terminal report fits in 100 columns, but for what docs/cli.md keeps whole.
    if (args[0] === 'analyze' && !args.includes('--json') && !args.includes('--email')) {
      expect(tooWide(output)).toEqual([]);
    }
  });
});

async function sampleReport(): Promise<Report> {
  const file = join(ROOT, 'samples', 'events', 'prod-lustre-cfd.json');
  const decoded = decodeLambdaEvent(JSON.parse(await readFile(file, 'utf8')));
  if (decoded.type !== 'data') throw new Error('the sample is not a data message');
  const batch = decoded.batch;
  return reportOf([batch], {
    dryRun: false,
    reportPath: 's3://bucket/prefix/fsx-export-analyzer-reports',
  });
}

describe('Golden: every email', () => {
  it('summary email with started, refused and queued re-exports and escalations', async () => {
    // Prepare
    const base = await sampleReport();
    const tasks = base.plan.tasks;
    const outcomes = tasks.map((planned, index) =>
      index % 3 === 0
        ? startedOutcome(planned, `task-0000000000000000${index}`)
        : index % 3 === 1
          ? queuedOutcome(planned, 'the files were busy')
          : {
              status: 'refused' as const,
              task: planned,
              error: 'BadRequest',
              reason: 'a path is not under any association',
              retryLater: false,
            },
    );
    const report: Report = {
      ...base,
      outcomes,
      escalated: [
        {
          fileSystemId: FS,
          path: 'ns1/stuck.bin',
          taskIds: ['task-00000000000000001', 'task-00000000000000002'],
          lastAttemptAt: '2025-11-25T11:00:00.000Z',
          reportPath: 's3://bucket/prefix/fsx-export-analyzer-reports',
        },
      ],
    };

    // Act
    const output = `${email(renderEmail(report))}\n--- terminal ---\n${renderTerminal(report)}`;

    // Assess
    await expect(output).toMatchFileSnapshot(`${SNAPSHOTS}/summary-email.txt`);
  });

  it('retrier email', async () => {
    // Prepare
    const started = task({ clientRequestToken: 'fea-r1', paths: ['ns1/a', 'ns1/b'] });
    const refused = task({ clientRequestToken: 'fea-r2', paths: ['ns1/c'] });
    const dead = task({ clientRequestToken: 'fea-r3', paths: ['ns1/d', 'ns1/e'] });

    // Act
    const publication = renderRetrierEmail({
      generatedAt: '2026-11-25T12:00:00.000Z',
      region: 'eu-west-1',
      messages: 6,
      started: [
        { task: started, taskId: 'task-00000000000000001', lifecycle: 'PENDING', messages: 3 },
      ],
      escalated: [
        {
          fileSystemId: FS,
          path: 'ns1/e',
          taskIds: ['task-00000000000000001', 'task-00000000000000002'],
          lastAttemptAt: '2026-11-25T11:00:00.000Z',
          reportPath: 's3://bucket/prefix/fsx-export-analyzer-reports',
        },
      ],
      refused: [{ task: refused, error: 'BadRequest', reason: 'path not found', messages: 1 }],
      waiting: [{ fileSystemId: 'fs-0fedcba9876543210', messages: 2, reason: 'a task is running' }],
      deadLettered: [
        {
          messageId: 'msg-1',
          receiveCount: 5,
          task: dead,
          reason: 'a data repository task is running',
          deferredReason: 'busy',
          deferredAt: '2026-11-25T10:00:00.000Z',
        },
      ],
    });

    // Assess
    await expect(email(publication)).toMatchFileSnapshot(`${SNAPSHOTS}/retrier-email.txt`);
  });

  it('outcome email', async () => {
    // Prepare
    const T1 = 'task-00000000000000001';
    const T2 = 'task-00000000000000002';

    // Act
    const publication = renderOutcomeEmail({
      generatedAt: '2026-11-25T12:00:00.000Z',
      region: 'eu-west-1',
      stillOpen: 2,
      finished: endedTasks(T1, T2, 's3://bucket/prefix/fsx-export-analyzer-reports'),
    });

    // Assess
    await expect(email(publication)).toMatchFileSnapshot(`${SNAPSHOTS}/outcome-email.txt`);
  });

  it('digest email with a digest and a recovery', async () => {
    // Act
    const publication = renderDigestEmail({
      digests: [digest()],
      recovered: [recovered({ key: { ...KEY, cls: 'transient' } })],
      generatedAt: '2025-11-25T11:01:00.000Z',
      region: 'eu-west-1',
    });

    // Assess
    await expect(email(publication)).toMatchFileSnapshot(`${SNAPSHOTS}/digest-email.txt`);
  });

  it('doctor table, JSON and alert email', async () => {
    // Prepare: a watched file system, one with logging off and a MISCONFIGURED association, and
    // one logging to an unsubscribed group whose associations could not be read.
    const other = (id: string, logging: FileSystemFacts['logging']) =>
      fileSystem({
        fileSystemId: id,
        arn: `arn:aws:fsx:${REGION}:${ACCOUNT}:file-system/${id}`,
        logging,
      });
    const otherGroup = '/aws/fsx/other team';
    const inventory: Inventory = {
      region: REGION,
      fileSystems: [
        { fileSystem: fileSystem(), associations: { ok: true, value: [association()] } },
        {
          fileSystem: other('fs-0fedcba9876543210', { level: 'DISABLED', destination: undefined }),
          associations: {
            ok: true,
            value: [
              association({
                associationId: 'dra-0fedcba9876543210',
                lifecycle: 'MISCONFIGURED',
                exportEvents: ['NEW'],
                failureMessage: "can't read s3://bucket/it's",
              }),
            ],
          },
        },
        {
          fileSystem: other('fs-0aaaaaaaaaaaaaaaa', {
            level: 'ERROR',
            destination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${otherGroup}`,
          }),
          associations: {
            ok: false,
            reason: 'not authorized',
            permission: 'fsx:DescribeDataRepositoryAssociations',
            denied: true,
          },
        },
      ],
      logGroups: new Map([
        [GROUP, subscribed(filter(ANALYZER))],
        [otherGroup, subscribed()],
      ]),
    };

    // Act
    const result = diagnose(inventory, { functionRef: ANALYZER });
    const { changes } = doctorChanges([], result.findings);
    const output = [
      renderDoctorText(result),
      renderDoctorJson(result),
      email(renderDoctorAlert(result, changes, DOCTOR_AT)),
    ].join('\n--- next ---\n');

    // Assess
    await expect(output).toMatchFileSnapshot(`${SNAPSHOTS}/doctor.txt`);
  });
});
