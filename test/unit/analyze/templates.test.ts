import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../lib/analyze/classify.ts';
import { matchTemplate, presentWords, wordPresence } from '../../../lib/analyze/templates.ts';

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

describe('Function: presentWords', () => {
  it('finds exactly the words a text includes, overlapping or starting one another', () => {
    // Prepare: words from a small alphabet (so that they overlap, repeat and start one another,
    // with characters a pattern treats specially), and texts made of their pieces.
    const word = fc.stringMatching(/^[ab.(|]{1,5}$/);
    const words = fc.array(word, { minLength: 1, maxLength: 12 });
    const text = fc.array(fc.oneof(word, fc.constantFrom('a', 'b', '.', ' ', '')), {
      maxLength: 12,
    });

    fc.assert(
      fc.property(words, text, (list, pieces) => {
        const presence = wordPresence(list);
        const line = pieces.join('');

        // Act
        const mask = presentWords(presence, line);

        // Assess
        for (const item of list) {
          const bit = presence.bits.get(item) as number;
          expect((mask & bit) !== 0).toBe(line.includes(item));
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('matches an import text whose key holds the words of the texts before it', () => {
    // Prepare: each import text, with a key holding words that rule its siblings in or out.
    const imports = CATALOG.flatMap((entry) =>
      entry.templates
        .filter((template) => template.startsWith('Failed to import S3 object with key'))
        .map((template) => [entry, template] as const),
    );
    const key = fc
      .array(fc.constantFrom('tier', 'full', 'exist', 'found', 'posix', 'symlink', 'raw', '/'), {
        minLength: 1,
        maxLength: 6,
      })
      .map((parts) => parts.join(''));

    fc.assert(
      fc.property(fc.constantFrom(...imports), key, ([entry, template], value) => {
        // Act
        const match = matchTemplate(
          template
            .replace('{key}', value)
            .replace('{bucket}', 'ml-archive')
            .replace('{value}', 'GLACIER'),
        );

        // Assess
        expect(match?.entry).toBe(entry);
        expect(match?.key).toBe(value);
      }),
      { numRuns: 500 },
    );
  });
});
