import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitLines } from '../../../cli/sources.ts';

/** The lines node:readline gives for `text` arriving in `chunks` pieces, as a file stream would. */
async function readlineLines(text: string, cuts: readonly number[]): Promise<string[]> {
  const bytes = Buffer.from(text, 'utf8');
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) chunks.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  const lines: string[] = [];
  const reader = createInterface({
    input: Readable.from(chunks),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of reader) lines.push(line);
  return lines;
}

describe('Function: splitLines', () => {
  it('gives the lines node:readline gives for the same text streamed in any chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('a', ' ', 'é', '😀', '\r', '\n', '{'), maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (text, cuts) => {
          // Act
          const lines = splitLines(text);

          // Assess
          expect(lines).toEqual(await readlineLines(text, cuts));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['an empty text', '', []],
    ['a final line break', 'a\n', ['a']],
    ['blank lines kept', 'a\n\n\nb', ['a', '', '', 'b']],
    ['CRLF, LF and a lone CR alike', 'a\r\nb\nc\rd', ['a', 'b', 'c', 'd']],
  ])('splits %s', (_case, text, expected) => {
    // Act, Assess
    expect(splitLines(text)).toEqual(expected);
  });
});
