import type { Association } from '../../lib/common/types.ts';

/** The file system the fixtures belong to unless a test names another. */
const FS = 'fs-0123456789abcdef0';

/** An AVAILABLE association of {@link FS} linking `/ns1` to `s3://ml-archive/datasets/`. */
const DRA: Association = {
  associationId: 'dra-0123456789abcdef0',
  fileSystemId: FS,
  lifecycle: 'AVAILABLE',
  fileSystemPath: '/ns1',
  dataRepositoryPath: 's3://ml-archive/datasets/',
};

/** The completion-report path derived from {@link DRA}: where re-exports of {@link FS} report. */
const DRA_REPORT_PATH = 's3://ml-archive/datasets/fsx-export-analyzer-reports';

/** Fake static credentials for SDK clients pointed at the local test servers. */
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'not-a-secret' };

/** The `n`th task id the fakes and mocks hand out: `task-` and `n` in 17 digits. */
function taskId(n: number): string {
  return `task-${String(n).padStart(17, '0')}`;
}

export { CREDENTIALS, DRA, DRA_REPORT_PATH, FS, taskId };
