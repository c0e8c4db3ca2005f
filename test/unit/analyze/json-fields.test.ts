import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG, lookup } from '../../../lib/analyze/classify.ts';
import { collectFields } from '../../../lib/analyze/json-fields.ts';

/**
 * The reference the walk must agree with: a plain breadth-first queue of every node (an array's
 * items inherit its field name), at most 4,000 nodes, objects opened to depth 12. Returns the
 * strings met under a field called `code`, in the order the queue meets them.
 */
function codesByQueue(root: unknown): string[] {
  const queue: Array<{ key: string; value: unknown; depth: number }> = [
    { key: '', value: root, depth: 0 },
  ];
  const codes: string[] = [];
  for (let head = 0; head < queue.length; head++) {
    const { key, value, depth } = queue[head] as (typeof queue)[0];
    if (value !== null && typeof value === 'object') {
      if (depth + 1 > 12) continue;
      const items: Array<[string, unknown]> = Array.isArray(value)
        ? value.map((item) => [key, item])
        : Object.entries(value);
      for (const [childKey, child] of items) {
        if (queue.length >= 4_000) break;
        queue.push({ key: childKey, value: child, depth: depth + 1 });
      }
    } else if (key === 'code' && typeof value === 'string' && value.length > 0) {
      codes.push(value);
    }
  }
  return codes;
}

describe('Function: collectFields', () => {
  it('reads a flat record without a role for unknown names', () => {
    // Prepare
    const record = {
      errorCode: 'S3ExportResourceBusy',
      FILE_PATH: '/ns1/a.bin',
      'bucket-name': 'ml-archive',
      other: 's3://raw/k/1.nc',
      type: 'Export',
    };

    // Act
    const fields = collectFields(record);

    // Assess
    expect(fields.code).toBe('S3ExportResourceBusy');
    expect(fields.knownCode).toBe('S3ExportResourceBusy');
    expect(fields.path).toBe('/ns1/a.bin');
    expect(fields.bucket).toBe('ml-archive');
    expect([fields.s3UriBucket, fields.s3UriKey]).toEqual(['raw', 'k/1.nc']);
    expect(fields.kind).toBe('export');
  });

  it('lets the earlier field name of a role win, whatever the order in the record', () => {
    // Prepare: `filePath` ranks before `path`, `errorCode` before `code`.
    const record = { path: '/second', code: 'B', nested: { errorCode: 'A' }, filePath: '/first' };

    // Act
    const fields = collectFields(record);

    // Assess
    expect(fields.path).toBe('/first');
    expect(fields.code).toBe('A');
    expect([fields.firstCode, ...(fields.moreCodes ?? [])]).toEqual(['B', 'A']);
  });

  it('meets the fields in breadth-first order within its bounds, level by level', () => {
    // Prepare: trees of objects and arrays, some wide enough to hit the node bound and some
    // deep enough to hit the depth bound.
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom('S3ExportResourceBusy', 'x', ''),
        fc.integer(),
        tie('object'),
        tie('array'),
      ),
      object: fc.dictionary(fc.constantFrom('code', 'inner', 'path', 'a'), tie('tree'), {
        maxKeys: 4,
      }),
      array: fc.array(tie('tree'), { maxLength: 4 }),
    }));
    const deep = fc
      .tuple(fc.integer({ min: 8, max: 16 }), fc.string({ minLength: 1, maxLength: 3 }))
      .map(([depth, code]) => {
        let value: unknown = { code };
        for (let level = 0; level < depth; level++) value = { inner: value, code: `${level}` };
        return value;
      });
    const wide = fc.tuple(fc.integer({ min: 3_990, max: 4_010 }), tree).map(([size, rest]) => ({
      list: Array.from({ length: size }, (_, i) => (i % 500 === 0 ? { code: `n${i}` } : i)),
      rest,
      code: 'last',
    }));

    fc.assert(
      fc.property(fc.oneof(tree, deep, wide), (root) => {
        // Act
        const fields = collectFields(root);

        // Assess
        const met = fields.firstCode === undefined ? [] : [fields.firstCode];
        expect([...met, ...(fields.moreCodes ?? [])]).toEqual(codesByQueue(root));
      }),
      { numRuns: 500 },
    );
  });

  it('names the entries of the documented code or label it found, as lookup does', () => {
    // Prepare: records whose fields hold documented names (any case, padded), unknown names and
    // other text, under code, message and unknown field names, nested or not.
    const names = CATALOG.flatMap((entry) =>
      [entry.code, entry.label, entry.reportCode].filter((name) => name !== undefined),
    );
    const value = fc.oneof(
      fc.constantFrom(...names),
      fc.constantFrom(...names).map((name) => ` ${name.toUpperCase()}`),
      fc.constantFrom(...names).map((name) => name.toLowerCase()),
      fc.constantFrom('S3ExportSomethingNew', 'Export', '', 'x'.repeat(130)),
      fc.string({ maxLength: 12 }),
    );
    const key = fc.constantFrom('errorCode', 'code', 'error', 'message', 'detail', 'other', 'x');
    const flat = fc.dictionary(key, value, { maxKeys: 6 });
    const record = fc.oneof(
      flat,
      fc.record({ event: flat, more: fc.array(flat, { maxLength: 2 }) }),
    );

    fc.assert(
      fc.property(record, (root) => {
        // Act
        const fields = collectFields(root);

        // Assess
        const named = fields.knownCode ?? fields.known;
        expect(fields.named).toEqual(named === undefined ? [] : lookup(named));
        if (named !== undefined) expect(fields.named.length).toBeGreaterThan(0);
      }),
      { numRuns: 1_000 },
    );
  });
});
