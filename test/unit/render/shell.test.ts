import { describe, expect, it } from 'vitest';
import { shellArg, shellQuote } from '../../../lib/render/shell.ts';

describe('Function: shellArg', () => {
  it.each([
    ['/aws/fsx/lustre', '/aws/fsx/lustre'],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['$(rm -rf /)', "'$(rm -rf /)'"],
    ['x\u001by', "$'x\\x1by'"],
  ])('shellArg(%j) is %s', (value, quoted) => {
    // Act
    const result = shellArg(value);

    // Assess
    expect(result).toBe(quoted);
  });
});

describe('Function: shellQuote', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", "'it'\\''s'"],
    ['tab\there', "$'tab\\x09here'"],
    ['bidi\u202eexe', "$'bidi\\u202eexe'"],
    ['back\\slash\u0007', "$'back\\\\slash\\x07'"],
    ['lone\ud800', "$'lone\\ud800'"],
  ])('shellQuote(%j) is %s', (value, quoted) => {
    // Act
    const result = shellQuote(value);

    // Assess
    expect(result).toBe(quoted);
  });
});
