import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../lib/analyze/classify.ts';
import { matchTemplate } from '../../../lib/analyze/templates.ts';

const BUSY = 'Failed to export file because it is being used by another process.';

describe('Function: matchTemplate', () => {
  it('captures the key and the bucket of a documented text', () => {
    // Prepare
    const message =
      'Failed to import S3 object with key raw/a b.csv in S3 bucket ml-archive because it was not found in S3 bucket ml-archive.';

    // Act
    const match = matchTemplate(message);

    // Assess
    expect(match?.entry.code).toBe('S3ImportObjectDeleted');
    expect(match?.key).toBe('raw/a b.csv in S3 bucket ml-archive');
    expect(match?.bucket).toBe('ml-archive');
    expect(match?.start).toBe(0);
  });

  it('reads a text with no variable part in any case and after any prefix', () => {
    // Prepare
    const variants = [
      BUSY,
      `2026-11-25T10:00:00Z ERROR ${BUSY}`,
      BUSY.toUpperCase(),
      // Lower-casing 'İ' gives two characters: the lower-case text no longer lines up with it.
      `İ ${BUSY}`,
    ];

    // Act
    const matches = variants.map((message) => matchTemplate(message));

    // Assess
    for (const match of matches) expect(match?.entry.code).toBe('S3ExportResourceBusy');
    expect(matches[1]?.start).toBe(27);
  });

  it('takes no look-alike opening for a documented one', () => {
    // Prepare: "exhort" has the length and the letters the openings are indexed by of "export".
    const message = 'Failed to exhort file because it is being used by another process.';

    // Act
    const match = matchTemplate(message);

    // Assess
    expect(match).toBeUndefined();
  });

  it('finds every documented text with the values that fill it, after any prefix', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CATALOG.flatMap((e) => e.templates.map((t) => [e, t] as const))),
        fc.constantFrom('', 'ERROR ', 'fs-0123456789abcdef0: ', 'failed to read config; '),
        fc.stringMatching(/^[a-z0-9][a-z0-9/_.-]{0,30}[a-z0-9]$/),
        fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/),
        ([entry, template], prefix, key, bucket) => {
          // Prepare
          const message =
            prefix +
            template
              .replace('{key}', key)
              .replace('{bucket}', bucket)
              .replace('{value}', 'GLACIER');

          // Act
          const match = matchTemplate(message);

          // Assess
          expect(match?.entry).toBe(entry);
          if (template.includes('{bucket}')) expect(match?.bucket).toBe(bucket);
          if (template.includes('{key}')) expect(match?.key).toBe(key);
        },
      ),
      { numRuns: 500 },
    );
  });
});
