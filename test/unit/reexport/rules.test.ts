import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttemptHistory, ExportRequest } from '../../../lib/common/ports.ts';
import type { Association } from '../../../lib/common/types.ts';
import {
  associationRoot,
  clientRequestToken,
  escalationOf,
  failuresCsvPath,
  fsxRefusal,
  isUnder,
  isUnderRoot,
  missingReportPath,
  pathsPerTask,
  reachedAttemptLimit,
  recordStart,
  reportPathFor,
} from '../../../lib/reexport/rules.ts';
import { fakeLedger } from '../../helpers/fake-ports.ts';
import { DRA, DRA_REPORT_PATH, FS } from '../../helpers/fixtures.ts';

const T1 = 'task-00000000000000001';
const REPORT = 's3://ml-archive/datasets/fsx-export-analyzer-reports';
const AT = new Date('2026-11-25T12:00:00Z');

/** An attempt history of `ns1/a.bin` with these task ids. */
function history(...taskIds: string[]): AttemptHistory {
  return { fileSystemId: FS, path: 'ns1/a.bin', taskIds, lastAttemptAt: '2026-11-25T11:00:00Z' };
}

/** The token of FS, paths `ns1/a` and `ns1/b`, events `ev-1` and `ev-2`, as FSx has been sent it. */
const KNOWN_TOKEN = 'fea-7z83jTR-Bo3PjDpZwSsSoOMoc565FpljQNKBYNFbn94';

describe('Function: clientRequestToken', () => {
  it('is deterministic, valid for FSx, and changes with paths or events', () => {
    // Prepare / Act
    const token = clientRequestToken(FS, ['ns1/a'], ['e1']);

    // Assess
    expect(token).toBe(clientRequestToken(FS, ['ns1/a'], ['e1']));
    expect(token).toMatch(/^[A-Za-z0-9_.-]{1,63}$/);
    expect(token).not.toBe(clientRequestToken(FS, ['ns1/a'], ['e2']));
    expect(token).not.toBe(clientRequestToken(FS, ['ns1/b'], ['e1']));
    expect(token).not.toBe(clientRequestToken('fs-0fedcba9876543210', ['ns1/a'], ['e1']));
  });

  it('is what it was for a known task (a duplicate delivery after an upgrade gets the same task)', () => {
    // Prepare / Act
    const token = clientRequestToken(FS, ['ns1/a', 'ns1/b'], ['ev-1', 'ev-2']);

    // Assess
    expect(token).toBe(KNOWN_TOKEN);
  });
});

describe('Function: pathsPerTask', () => {
  it.each([
    [100, 100],
    [250, 100],
    [10.7, 10],
    [0, 1],
    [-5, 1],
  ])('turns a configured %d into %d paths per task', (configured, expected) => {
    // Prepare / Act
    const paths = pathsPerTask(configured);

    // Assess
    expect(paths).toBe(expected);
  });
});

describe('Function: reportPathFor', () => {
  it('prefers an AVAILABLE association covering the paths, deterministically', () => {
    // Prepare
    const other: Association = {
      ...DRA,
      associationId: 'dra-00000000a',
      fileSystemPath: '/ns2',
      dataRepositoryPath: 's3://b2/p',
    };
    const broken: Association = {
      ...DRA,
      associationId: 'dra-00000000b',
      lifecycle: 'MISCONFIGURED',
    };

    // Act / Assess
    expect(reportPathFor(['ns1/a', 'ns1/b'], [other, DRA])).toBe(
      's3://ml-archive/datasets/fsx-export-analyzer-reports',
    );
    expect(reportPathFor(['ns2/a'], [other, DRA])).toBe('s3://b2/p/fsx-export-analyzer-reports');
    expect(reportPathFor(['ns1/a'], [broken, other])).toBe('s3://b2/p/fsx-export-analyzer-reports');
    expect(reportPathFor(['ns1/a'], [])).toBeUndefined();
  });
});

describe('Function: failuresCsvPath', () => {
  it('names the failures.csv FSx writes in the task folder under the report path', () => {
    // Prepare
    const reportPath = `${REPORT}/`;

    // Act
    const path = failuresCsvPath(reportPath, T1);
    const bare = failuresCsvPath(REPORT, '0123456789abcdef0');

    // Assess
    expect(path).toBe(`${REPORT}/${T1}/failures.csv`);
    expect(bare).toBe(`${REPORT}/task-0123456789abcdef0/failures.csv`);
  });
});

describe('Function: reachedAttemptLimit', () => {
  it('escalates a path re-exported maxAttempts times, and only then', () => {
    // Prepare
    const twice = history('task-1', 'task-2');

    // Act / Assess
    expect(reachedAttemptLimit(undefined, 1)).toBe(false);
    expect(reachedAttemptLimit(twice, 3)).toBe(false);
    expect(reachedAttemptLimit(twice, 2)).toBe(true);
    expect(reachedAttemptLimit(twice, 1)).toBe(true);
  });

  it('escalates at once a path its last task reported failed again, and carries the code', () => {
    // Prepare
    const failedWith = { code: 'S3AccessDenied', class: 'permission' as const, taskId: 'task-1' };
    const once = { ...history('task-1'), failedWith };

    // Act / Assess
    expect(reachedAttemptLimit(once, 3)).toBe(true);
    expect(escalationOf(FS, 'ns1/a.bin', once, REPORT)).toMatchObject({ failedWith });
  });
});

describe('Function: escalationOf', () => {
  it('tells a person the path, its tasks, its last attempt and its report path', () => {
    // Prepare
    const past = history('task-1', 'task-2');

    // Act
    const escalation = escalationOf(FS, 'ns1/a.bin', past, DRA_REPORT_PATH);

    // Assess
    expect(escalation).toEqual({
      fileSystemId: FS,
      path: 'ns1/a.bin',
      taskIds: ['task-1', 'task-2'],
      lastAttemptAt: '2026-11-25T11:00:00Z',
      reportPath: DRA_REPORT_PATH,
    });
  });
});

describe('Function: recordStart', () => {
  const request: ExportRequest = {
    fileSystemId: FS,
    paths: ['ns1/a.bin', 'ns1/b.bin'],
    clientRequestToken: 'fea-token',
    reportPath: DRA_REPORT_PATH,
  };

  it('records the attempt on every path, then tracks the task', async () => {
    // Prepare
    const ledger = fakeLedger();

    // Act
    await recordStart(ledger.port, request, T1, AT, 'retrier');

    // Assess
    expect(ledger.calls).toEqual(['recordAttempt', 'trackTask']);
    expect(ledger.state.attempts.get(`${FS} ns1/b.bin`)?.taskIds).toEqual([T1]);
    expect(ledger.state.tasks.get(T1)?.task).toEqual({
      taskId: T1,
      fileSystemId: FS,
      paths: ['ns1/a.bin', 'ns1/b.bin'],
      clientRequestToken: 'fea-token',
      reportPath: DRA_REPORT_PATH,
      startedAt: AT.toISOString(),
      startedBy: 'retrier',
    });
  });

  it('tracks nothing when the attempt could not be recorded', async () => {
    // Prepare
    const ledger = fakeLedger({ failing: ['recordAttempt'] });

    // Act
    const recording = recordStart(ledger.port, request, T1, AT, 'analyzer');

    // Assess
    await expect(recording).rejects.toThrow('recordAttempt failed');
    expect(ledger.state.tasks.size).toBe(0);
  });
});

describe('Function: missingReportPath', () => {
  it('refuses for good without an association, for now when they could not be read', () => {
    // Prepare / Act
    const none = missingReportPath(undefined);
    const unreadable = missingReportPath('AccessDenied: not authorized');

    // Assess
    expect(none).toEqual({
      error: 'NoReportPath',
      reason:
        'the file system has no data repository association to hold the completion report; set REPORT_PATH or link a data repository',
      retryLater: false,
    });
    expect(unreadable).toEqual({
      error: 'NoReportPath',
      reason:
        'the data repository associations could not be read (AccessDenied: not authorized); set REPORT_PATH to start tasks without them',
      retryLater: true,
    });
  });
});

describe('Function: fsxRefusal', () => {
  it("words FSx's refusal with the error's meaning and says whether it may pass later", () => {
    // Prepare / Act
    const executing = fsxRefusal('DataRepositoryTaskExecuting', 'a task is running');
    const unknown = fsxRefusal('SomethingNew', 'what happened');

    // Assess
    expect(executing).toMatchObject({ error: 'DataRepositoryTaskExecuting', retryLater: true });
    expect(executing.reason).toMatch(
      /^another data repository task is executing .*\(a task is running\)$/,
    );
    expect(unknown).toEqual({
      error: 'SomethingNew',
      reason: 'an unexpected error; see the analyzer logs (what happened)',
      retryLater: false,
    });
  });
});

describe('isUnderRoot', () => {
  it('answers as the path with a trailing slash starting with the root (property)', () => {
    // Prepare: paths and association paths from a few segments, slashes anywhere.
    const text = fc
      .array(fc.constantFrom('a', 'ab', 'b', '/', '//'), { maxLength: 5 })
      .map((parts) => parts.join(''));

    fc.assert(
      fc.property(text, text, (path, fileSystemPath) => {
        // Act
        const root = associationRoot(fileSystemPath);
        const withSlash = path.endsWith('/') ? path : `${path}/`;

        // Assess
        expect(isUnderRoot(path, root)).toBe(root === '' || withSlash.startsWith(root));
        expect(isUnder(path, fileSystemPath)).toBe(isUnderRoot(path, root));
      }),
      { numRuns: 2000 },
    );
  });
});
