import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLASS_ORDER } from '../../../lib/common/classes.ts';
import { ParsedRecord, plainRecord, type RecordFields } from '../../../lib/common/records.ts';
import type { FailureClass, FailureRecord, LogBatch, LogEvent } from '../../../lib/common/types.ts';

const CLASSES: readonly FailureClass[] = CLASS_ORDER;

const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

describe('Class: ParsedRecord', () => {
  it('reads every field as the plain record the parser used to build (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string({ minLength: 1 }),
          timestamp: maybe(fc.integer()),
          // Past 1,000 characters a record shows the message cut, with an ellipsis.
          message: fc.oneof(fc.string(), fc.string({ minLength: 990, maxLength: 1_010 })),
        }),
        fc.record({ owner: fc.string(), logGroup: fc.string(), logStream: fc.string() }),
        fc.record({
          code: fc.string({ minLength: 1 }),
          format: fc.constantFrom('json' as const, 'text' as const),
          level: fc.constantFrom('ERROR' as const, 'WARN' as const, undefined),
          path: maybe(fc.string()),
          pathUncertain: fc.boolean(),
          s3Key: maybe(fc.string()),
          bucket: maybe(fc.string()),
          associationId: maybe(fc.string()),
          time: maybe(fc.string()),
        }),
        fc.constantFrom(...CLASSES),
        maybe(fc.string()),
        maybe(fc.string()),
        (event: LogEvent & { message: string }, origin, fields: RecordFields, cls, fs, named) => {
          // Prepare
          const batch: LogBatch = {
            ...origin,
            subscriptionFilters: [],
            streamFileSystemId: undefined,
            events: [event],
          };
          const expected: FailureRecord = {
            eventId: event.id,
            timestamp: event.timestamp,
            owner: origin.owner,
            logGroup: origin.logGroup,
            logStream: origin.logStream,
            kind: 'record',
            code: fields.code,
            class: cls,
            format: fields.format,
            fileSystemId: fs,
            namedFileSystemId: named,
            path: fields.path,
            pathUncertain: fields.pathUncertain || undefined,
            s3Key: fields.s3Key,
            bucket: fields.bucket,
            associationId: fields.associationId,
            time: fields.time,
            level: fields.level,
            message:
              event.message.length <= 1_000 ? event.message : `${event.message.slice(0, 999)}…`,
          };

          // Act
          const record = new ParsedRecord(event, batch, fields, cls, fs, named);
          const plain = plainRecord(record);

          // Assess: field by field (getters included), and the copy with every key its own, in
          // the interface's order.
          for (const key of Object.keys(expected) as (keyof FailureRecord)[]) {
            expect(record[key]).toBe(expected[key]);
          }
          expect(Object.keys(plain)).toEqual(Object.keys(expected));
          expect(plain).toStrictEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
