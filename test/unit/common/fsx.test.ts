import { describe, expect, it } from 'vitest';
import {
  FORBIDDEN_PATH_CHARS,
  fileSystemIdFromStream,
  isFileSystemId,
} from '../../../lib/common/fsx.ts';

describe('Function: fileSystemIdFromStream', () => {
  it.each([
    ['datarepo_fs-0123456789abcdef0', 'fs-0123456789abcdef0'],
    ['datarepo_fc-0123456789abcdef0', 'fc-0123456789abcdef0'],
    ['datarepo_fc-11111111', 'fc-11111111'],
    ['datarepo_fs-XYZ', undefined],
    ['datarepo_fs-zzzzzzzz', undefined],
    ['datarepo_fs-0123456789abcdef0-copy', undefined],
    ['datarepo_x', undefined],
    ['fs-11111111', undefined],
    ['some-other-stream', undefined],
  ])('reads %s', (stream, expected) => {
    expect(fileSystemIdFromStream(stream)).toBe(expected);
  });
});

describe('Function: isFileSystemId', () => {
  it.each([
    ['fs-0123456789abcdef0', true],
    ['fc-11111111', true],
    ['fs-1111111', false],
    ['fs-0123456789abcdef012', false],
    ['fs-zzzzzzzz', false],
    [' fs-11111111', false],
    ['fs-11111111 and more', false],
    ['', false],
  ])('says %j is an id: %s', (text, expected) => {
    expect(isFileSystemId(text)).toBe(expected);
  });
});

describe('Constant: FORBIDDEN_PATH_CHARS', () => {
  it.each(['a\u0000b', 'a\nb', 'a\rb', 'a\u0085b', 'a\u2028b', 'a\u2029b'])(
    'refuses %j, as the DataRepositoryTaskPath pattern does',
    (path) => {
      expect(FORBIDDEN_PATH_CHARS.test(path)).toBe(true);
    },
  );

  it('accepts spaces, tabs and non-ASCII letters', () => {
    expect(FORBIDDEN_PATH_CHARS.test('ns1/lab notes/\tr\u00e9sum\u00e9.csv')).toBe(false);
  });
});
