import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDocumentPieces, outputEncoding } from '../../../cli/output.ts';
import { jsonDocumentText } from '../../../lib/analyze/analysis.ts';

/** Text with what the JSON output must escape: C1 controls, separators, bidi overrides, a BOM. */
const awkwardText = fc.string({
  unit: fc.constantFrom('a', 'é', '"', '\\', '\n', '\u0085', '\u2028', '\u202e', '\ufeff', '😀'),
  maxLength: 8,
});

const item = fc.record(
  {
    eventId: awkwardText,
    timestamp: fc.option(fc.integer(), { nil: null }),
    path: fc.option(awkwardText, { nil: undefined }),
    classes: fc.array(awkwardText, { maxLength: 3 }),
    nested: fc.dictionary(awkwardText, fc.oneof(fc.integer(), fc.constant(null)), { maxKeys: 2 }),
  },
  { requiredKeys: ['eventId', 'timestamp', 'classes'] },
);

const member = fc.oneof(
  fc.constant(undefined),
  fc.integer(),
  awkwardText,
  fc.array(item, { maxLength: 3 }),
  // Long lists: cut into slices, one on a slice boundary.
  fc.array(item, { minLength: 120, maxLength: 300 }),
  fc.constant(Array.from({ length: 256 }, (_, i) => i)),
);

describe('Function: jsonDocumentPieces', () => {
  it('gives, joined, exactly the text jsonDocumentText gives', () => {
    fc.assert(
      fc.property(fc.dictionary(awkwardText, member, { maxKeys: 5 }), (document) => {
        // Act
        const pieces = [...jsonDocumentPieces(document)];

        // Assess
        expect(pieces.join('')).toBe(jsonDocumentText(document));
      }),
      { numRuns: 60 },
    );
  });

  it('writes a long list in several pieces, so output starts before all of it is made', () => {
    // Prepare
    const failures = Array.from({ length: 1000 }, (_, i) => ({ eventId: String(i), path: null }));

    // Act
    const pieces = [...jsonDocumentPieces({ events: 1000, failures })];

    // Assess
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(jsonDocumentText({ events: 1000, failures }));
  });

  it.each([
    ['an empty document', {}],
    ['only undefined members', { a: undefined }],
    ['an empty list', { failures: [] }],
  ])('writes %s as JSON.stringify does', (_case, document) => {
    // Act
    const text = [...jsonDocumentPieces(document)].join('');

    // Assess
    expect(text).toBe(jsonDocumentText(document));
  });
});

describe('Function: outputEncoding', () => {
  it.each([
    ['ASCII', 'x'.repeat(5000), 'latin1'],
    ['non-ASCII', `${'x'.repeat(5000)}é😀\u2028`, 'utf8'],
    // Characters whose low byte is ASCII: a Latin-1 copy would turn "…" into "&".
    ['above Latin-1', `${'x'.repeat(5000)}…😀\u2028`, 'utf8'],
    ['Latin-1 but not ASCII', `${'x'.repeat(5000)}é`, 'utf8'],
    ['short', 'é', 'utf8'],
  ])('writes %s text as its UTF-8 bytes', (_case, text, expected) => {
    // Act
    const encoding = outputEncoding(text);

    // Assess
    expect(encoding).toBe(expected);
    expect(Buffer.from(text, encoding).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it('gives the UTF-8 bytes of any text', () => {
    // Prepare: long ASCII text, then perhaps a few characters of any kind.
    const texts = fc
      .tuple(
        fc.string({ unit: 'binary-ascii', minLength: 4090, maxLength: 4200 }),
        fc.string({ unit: 'binary', maxLength: 3 }),
      )
      .map(([ascii, any]) => ascii + any);

    fc.assert(
      fc.property(texts, (text) => {
        // Act
        const bytes = Buffer.from(text, outputEncoding(text));

        // Assess
        expect(bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
