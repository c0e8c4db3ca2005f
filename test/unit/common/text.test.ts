import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  display,
  sanitize,
  toAsciiLine,
  truncateEnd,
  truncateMiddle,
} from '../../../lib/common/text.ts';

/**
 * Any UTF-16 code unit, lone surrogates included: `fc.string({ unit: 'binary' })` only makes whole
 * code points, so it could never produce the ill-formed text these properties guard against.
 */
const CODE_UNIT = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

describe('Function: sanitize', () => {
  it('makes escape sequences, line breaks and bidi overrides visible', () => {
    // Prepare
    const path = 'ns1/\u001b[2J\u001b]0;pwned\u0007evil\r\nSubject: x\u202egnp.exe\u0000';

    // Act
    const safe = sanitize(path);

    // Assess
    expect(safe).toBe('ns1/\\x1b[2J\\x1b]0;pwned\\x07evil\\x0d\\x0aSubject: x\\u202egnp.exe\\x00');
  });

  it('never lets an unsafe character or lone surrogate through', () => {
    fc.assert(
      fc.property(fc.string({ unit: CODE_UNIT }), (text) => {
        // Prepare / Act
        const safe = sanitize(text);

        // Assess
        expect(UNSAFE.test(safe)).toBe(false);
        expect(safe.isWellFormed()).toBe(true);
      }),
    );
  });
});

describe('Function: truncateMiddle', () => {
  it('keeps both ends of a long path', () => {
    // Prepare
    const path = `ns1/${'a'.repeat(10_000)}/file.bin`;

    // Act
    const short = truncateMiddle(path, 40);

    // Assess
    expect(short).toHaveLength(40);
    expect(short.startsWith('ns1/')).toBe(true);
    expect(short.endsWith('file.bin')).toBe(true);
  });

  it('leaves short text alone', () => {
    expect(display('ns1/a.bin')).toBe('ns1/a.bin');
  });

  it('never cuts a well-formed text between the halves of a surrogate pair', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', '/', '😀', '𝒳', 'é'), maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        (text, max) => {
          // Act
          const middle = truncateMiddle(text, max);
          const end = truncateEnd(text, max);

          // Assess: whole code points only, within the limit, and the cut still marked.
          for (const short of [middle, end]) {
            expect(short.isWellFormed()).toBe(true);
            expect(short.length).toBeLessThanOrEqual(max);
            if (text.length > max) expect(short).toContain('…');
            else expect(short).toBe(text);
          }
        },
      ),
    );
  });

  it('shows an emoji at the cut whole or not at all, never as an escape', () => {
    // Prepare: the head's cut would fall between the emoji's two halves.
    const path = `ab😀${'x'.repeat(20)}`;

    // Act
    const shown = display(path, 6);

    // Assess
    expect(shown).toBe('ab…xx');
    expect(shown).not.toContain('\\u');
  });
});

describe('Function: toAsciiLine', () => {
  it('gives printable ASCII on one line within the limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: CODE_UNIT }), (text) => {
        // Prepare / Act
        const line = toAsciiLine(text, 99);

        // Assess
        expect(line.length).toBeLessThanOrEqual(99);
        expect(/^[\x20-\x7e]*$/.test(line)).toBe(true);
      }),
    );
  });

  it('folds accents and marks a cut', () => {
    // Prepare / Act / Assess
    expect(toAsciiLine('Échec résumé', 99)).toBe('Echec resume');
    expect(toAsciiLine('x'.repeat(200), 10)).toBe('xxxxxxx...');
  });
});
