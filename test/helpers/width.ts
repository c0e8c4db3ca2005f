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
    // A name a person copies: alone, indented under "  Log group:" or "  Log stream:".
    const label = lines[index - 1] ?? '';
    return !(/^ {2}Log (group|stream)( \(assumed\))?:$/.test(label) && /^ {4}\S/.test(line));
  });
}

export { tooWide };
