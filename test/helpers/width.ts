/**
 * The lines of `analyze`'s terminal report wider than 100 columns that docs/cli.md does not allow
 * (What the report shows, "100 columns"): a link, an S3 URI or an `aws fsx` command alone on its
 * line, and a log group or stream name alone on its line under its label, stay whole.
 */
function tooWide(text: string): string[] {
  const lines = text.split('\n');
  return lines.filter((line, index) => {
    if (line.length <= 100) return false;
    if (/^ *(https:\/\/\S+|s3:\/\/\S+|aws fsx \S.*)$/.test(line)) return false;
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
