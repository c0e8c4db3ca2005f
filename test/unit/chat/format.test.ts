import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHAT_LIMITS,
  code,
  fitBlocks,
  fitTitle,
  type NotificationInput,
  notification,
  threadIdOf,
} from '../../../lib/chat/format.ts';
import { CustomNotificationSchema } from './schema.ts';

function input(overrides: Partial<NotificationInput> = {}): NotificationInput {
  return {
    title: 'Title',
    blocks: ['line'],
    nextSteps: [],
    keywords: [],
    threadId: threadIdOf(['fs-0123456789abcdef0', 'permission', '2026-12-07']),
    summary: 'summary',
    eventType: 'fsx-export-analyzer.test',
    relatedResources: [],
    additionalContext: {},
    ...overrides,
  };
}

describe('Function: code', () => {
  it.each([
    ['a path', 'ns1/a b.bin', '`ns1/a b.bin`'],
    ['a backtick cannot end the span', 'a`b', '`aˋb`'],
    ['mentions are inert', '<!here> <@U123> <at>x</at>', '`‹!here› ‹@U123› ‹at›x‹/at›`'],
    ['control characters are visible', 'a\u001b[31m\r\nb', '`a\\x1b[31m\\x0d\\x0ab`'],
    ['an empty value says so', '', '`(empty)`'],
  ])('%s', (_name, text, expected) => {
    // Act, Assess
    expect(code(text)).toBe(expected);
  });

  it('keeps both ends of a long value', () => {
    // Act
    const shown = code(`${'x'.repeat(500)}/file.bin`, 100);

    // Assess
    expect(shown.length).toBe(102);
    expect(shown.endsWith('/file.bin`')).toBe(true);
  });
});

describe('Function: fitBlocks', () => {
  it('keeps every block that fits', () => {
    // Act, Assess
    expect(fitBlocks(['a', 'b'], 10)).toBe('a\nb');
  });

  it('leaves whole blocks out and counts them', () => {
    // Prepare
    const blocks = Array.from({ length: 100 }, (_, index) => `• \`path-${index}\` *bold*`);

    // Act
    const text = fitBlocks(blocks, 300);

    // Assess
    expect(text.length).toBeLessThanOrEqual(300);
    const lines = text.split('\n');
    expect(lines.at(-1)).toMatch(/^_… \d+ more lines \(see the email\)_$/);
    for (const line of lines.slice(0, -1)) expect(blocks).toContain(line);
    expect(lines.length - 1 + Number(/\d+/.exec(lines.at(-1) ?? '')?.[0])).toBe(100);
  });

  it('never exceeds the limit and never cuts a block', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 400 }), { maxLength: 80 }),
        fc.integer({ min: 60, max: 8000 }),
        (blocks, max) => {
          // Act
          const text = fitBlocks(blocks, max);

          // Assess
          expect(text.length).toBeLessThanOrEqual(max);
        },
      ),
    );
  });
});

describe('Function: fitTitle', () => {
  it('cuts a long title before a code span, never inside it', () => {
    // Prepare
    const title = `${'word '.repeat(40)}\`${'p'.repeat(100)}\` end`;

    // Act
    const fitted = fitTitle(title);

    // Assess
    expect(fitted.length).toBeLessThanOrEqual(CHAT_LIMITS.title);
    expect((fitted.match(/`/g)?.length ?? 0) % 2).toBe(0);
    expect(fitted.endsWith('…')).toBe(true);
  });
});

describe('Function: notification', () => {
  it('keeps every field within the documented limits', () => {
    // Act
    const message = notification(
      input({
        title: 't'.repeat(1000),
        blocks: Array.from({ length: 1000 }, () => 'x'.repeat(100)),
        nextSteps: ['fits', 's'.repeat(CHAT_LIMITS.nextStep + 1), 'a', 'b', 'c', 'd', 'e'],
        keywords: ['k'.repeat(200), 'fsx'],
        additionalContext: { empty: '', long: 'v'.repeat(1000) },
      }),
    );

    // Assess
    expect(CustomNotificationSchema.safeParse(message).success).toBe(true);
    expect(message.content.title.length).toBe(CHAT_LIMITS.title);
    expect(message.content.description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
    expect(message.content.nextSteps).toEqual(['fits', 'a', 'b', 'c', 'd']);
    expect(message.content.keywords.map((keyword) => keyword.length)).toEqual([75, 3]);
    expect(Object.keys(message.metadata.additionalContext)).toEqual(['long']);
  });

  it('makes thread ids of safe characters', () => {
    // Act, Assess
    expect(threadIdOf(['/aws/fsx/lustre', 'un parseable\u0000', '2026-12-07'])).toBe(
      'fea_-aws-fsx-lustre_un-parseable-_2026-12-07',
    );
  });
});
