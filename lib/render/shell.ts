import { hasUnsafeChar } from '../common/text.ts';

/*
 * Shell quoting for the commands we print (emails, the terminal, doctor's fixes), one style
 * everywhere so an operator can paste any of them into bash or zsh. Values come from logs and AWS
 * answers, so they are untrusted: quoting keeps them exact and inert.
 */

const SHELL_PLAIN = /^[A-Za-z0-9_./:=,+@%-]+$/;

function ansiCQuote(value: string): string {
  let out = "$'";
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\' || char === "'") out += `\\${char}`;
    else if (hasUnsafeChar(char) || (code >= 0xd800 && code <= 0xdfff)) {
      // \x for ASCII only: bash writes \xHH as a raw byte, which is not UTF-8 above 0x7f.
      out +=
        code <= 0x7f
          ? `\\x${code.toString(16).padStart(2, '0')}`
          : `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}'`;
}

/**
 * Quotes one argument for a POSIX shell, always. Plain text gets single quotes; text with control
 * or invisible characters (anything a terminal or an email would interpret, `hasUnsafeChar`) gets
 * `$'…'` with escapes, so the command names the exact value and the characters cannot act on the
 * terminal or the email.
 */
export function shellQuote(value: string): string {
  if (hasUnsafeChar(value) || !value.isWellFormed()) return ansiCQuote(value);
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/** One argument for a POSIX shell: bare when plainly safe, quoted by {@link shellQuote} otherwise. */
export function shellArg(value: string): string {
  return SHELL_PLAIN.test(value) ? value : shellQuote(value);
}
