import { expect } from 'vitest';
import type {
  AssociationFacts,
  Checked,
  FileSystemFacts,
  Inventory,
  LogGroupFacts,
  SubscriptionFilterFacts,
} from '../../lib/common/types.ts';
import type { DoctorResult, Finding } from '../../lib/doctor/diagnose.ts';
import { FS } from './fixtures.ts';

/* Builders of doctor inventories: one healthy Lustre file system, changed where a test says. */

export const REGION = 'eu-west-1';
/** When the tests' scheduled doctor run checked (its email footer says so). */
export const DOCTOR_AT = '2026-11-25T12:00:00.000Z';
export const ACCOUNT = '123456789012';
export const GROUP = '/aws/fsx/lustre';
export const GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${GROUP}`;
export const ANALYZER = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:fsx-export-analyzer-prod-analyzer`;
export const OTHER = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:datadog-forwarder`;
export const UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
export const HOSTILE = '\u001b[2J\u001b]0;x\u0007\r\nfake line\u202egnp.exe';

/** A healthy Lustre file system logging WARN_ERROR to the default group; `over` changes it. */
export function fileSystem(over: Partial<FileSystemFacts> = {}): FileSystemFacts {
  return {
    fileSystemId: FS,
    lifecycle: 'AVAILABLE',
    name: 'training',
    arn: `arn:aws:fsx:${REGION}:${ACCOUNT}:file-system/${FS}`,
    ownerId: ACCOUNT,
    creationTime: new Date('2025-01-01T00:00:00Z'),
    logging: { level: 'WARN_ERROR', destination: GROUP_ARN },
    ...over,
  };
}

/** An AVAILABLE association exporting NEW, CHANGED and DELETED; `over` changes it. */
export function association(over: Partial<AssociationFacts> = {}): AssociationFacts {
  return {
    associationId: 'dra-0123456789abcdef0',
    lifecycle: 'AVAILABLE',
    fileSystemPath: '/ns1',
    dataRepositoryPath: 's3://ml-archive/datasets/',
    failureMessage: undefined,
    exportEvents: ['NEW', 'CHANGED', 'DELETED'],
    importEvents: [],
    importedFileChunkSize: 1024,
    ...over,
  };
}

export function filter(
  destinationArn: string,
  filterName = 'sub',
  pattern = '',
): SubscriptionFilterFacts {
  return { filterName, destinationArn, filterPattern: pattern };
}

export function subscribed(...filters: SubscriptionFilterFacts[]): Checked<LogGroupFacts> {
  return { ok: true, value: { exists: true, filters } };
}

export interface Setup {
  readonly fileSystem?: FileSystemFacts;
  readonly associations?: Checked<readonly AssociationFacts[]>;
  readonly logGroups?: Record<string, Checked<LogGroupFacts>>;
}

export function inventory(setup: Setup = {}): Inventory {
  return {
    region: REGION,
    fileSystems: [
      {
        fileSystem: setup.fileSystem ?? fileSystem(),
        associations: setup.associations ?? { ok: true, value: [association()] },
      },
    ],
    logGroups: new Map(
      Object.entries(setup.logGroups ?? { [GROUP]: subscribed(filter(ANALYZER)) }),
    ),
  };
}

/** The one finding of `check` in a result; fails the test when there is not exactly one. */
export function only(result: DoctorResult, check: Finding['check']): Finding {
  const found = result.findings.filter((item) => item.check === check);
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}
