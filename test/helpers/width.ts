/**
 * The lines of `analyze`'s terminal report wider than 100 columns that docs/cli.md does not allow
 * (What the report shows, "100 columns"): a link, an S3 URI or an `aws fsx` command alone on its
 * line, a `reexport` command alone on its line under "After the fix, re-export them", and a log
 * group or stream name alone on its line under its label, stay whole.
 */
/** A `reexport` command under its lead line (or under another such command), as terminal.ts prints it. */
function isFixCommand(lines: readonly string[], index: number): boolean {
  if (!/^ {6}fsx-export-analyzer reexport \S/.test(lines[index] ?? '')) return false;
  const before = lines[index - 1] ?? '';
  return /^ {4}After the fix, re-export them/.test(before) || isFixCommand(lines, index - 1);
}

function tooWide(text: string): string[] {
  const lines = text.split('\n');
  return lines.filter((line, index) => {
    if (line.length <= 100) return false;
    if (/^ *(https:\/\/\S+|s3:\/\/\S+|aws fsx \S.*)$/.test(line)) return false;
    if (isFixCommand(lines, index)) return false;
    // A name a person copies: alone, indented under "  Log group:" or "  Log stream:", and
    // printable ASCII with nothing escaped (terminal.ts, copyable).
    const label = lines[index - 1] ?? '';
    const copyable = /^[\x20-\x7e]+$/.test(line) && !/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/.test(line);
    return !(
      /^ {2}Log (group|stream)( \(assumed\))?:$/.test(label) &&
      /^ {4}\S/.test(line) &&
      copyable
    );
  });
}

export { tooWide };
