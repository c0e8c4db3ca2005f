import type { DigestWindow, GroupKey, Recovered } from '../../lib/common/types.ts';
import { NO_OUTCOMES } from '../../lib/digest/windows.ts';
import { FS } from './fixtures.ts';

/* Builders of closed alert windows and recoveries, for the digest email's tests. */

/** 2025-11-25 10:00 UTC, in epoch seconds: where the windows start. */
export const T0 = 1_764_064_800;
/** The alert window, in seconds. */
export const W = 3600;
/** Permission failures on {@link FS}. */
export const KEY: GroupKey = { scopeKind: 'fileSystem', scope: FS, cls: 'permission' };

/** A window of {@link KEY} from T0 to T0 + W that held 42 access-denied failures. */
export function digest(overrides: Partial<DigestWindow> = {}): DigestWindow {
  return {
    key: KEY,
    logGroups: ['/aws/fsx/lustre'],
    windowStart: T0,
    windowEnd: T0 + W,
    held: 42,
    newFailures: 30,
    recurringFailures: 10,
    untracked: 2,
    outcomes: NO_OUTCOMES,
    codes: new Map([['S3ExportAccessDenied', 42]]),
    samples: ['ns1/a.bin', 'ns1/b.bin'],
    ...overrides,
  };
}

/** {@link KEY} quiet for a full window after its last failure at T0 + 50 min. */
export function recovered(overrides: Partial<Recovered> = {}): Recovered {
  return {
    key: KEY,
    lastFailureAt: T0 + 50 * 60,
    windowEnd: T0 + 2 * W,
    windowSeconds: W,
    ...overrides,
  };
}
