import type { Association } from '../../lib/types.ts';

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

export { DRA, FS };
