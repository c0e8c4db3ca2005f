import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderOutcomeEmail } from '../../../lib/reexport/email.ts';
import { reportedTasks } from '../../helpers/fake-ports.ts';
import { DRA_REPORT_PATH } from '../../helpers/fixtures.ts';

/*
 * The example of docs/operate.md#completion-reports, the outcome email with failed files, is
 * the code's own output: this test renders it and compares it with the fenced block after the
 * marker. FEA_UPDATE_DOCS=1 rewrites the block instead.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DOCS = join(ROOT, 'docs', 'operate.md');
const MARKER = '<!-- generated: outcome email with failed files -->\n';
const UPDATE_COMMAND = 'FEA_UPDATE_DOCS=1 npx vitest run test/unit/reexport/docs-example.test.ts';

/** The fenced block after the marker: its text and where it lies. */
function block(docs: string): { start: number; open: number; close: number; text: string } {
  const start = docs.indexOf(MARKER);
  const open = docs.indexOf('```\n', start) + 4;
  const close = docs.indexOf('\n```\n', open - 1);
  return { start, open, close, text: close < open ? '' : docs.slice(open, close) };
}

describe('Docs: the outcome email with failed files in docs/operate.md', () => {
  it('is what renderOutcomeEmail writes for a task whose report was read back', async () => {
    // Prepare
    const publication = renderOutcomeEmail({
      generatedAt: '2026-11-25T12:00:00.000Z',
      region: 'eu-west-1',
      stillOpen: 0,
      finished: reportedTasks('task-00000000000000002', DRA_REPORT_PATH, 'AccessDenied'),
    });
    const example = `Subject: ${publication.subject}\n\n${publication.body}`;
    const docs = await readFile(DOCS, 'utf8');
    const { start, open, close, text } = block(docs);

    // Act
    if (process.env['FEA_UPDATE_DOCS'] === '1' && start > 0 && text !== example) {
      await writeFile(
        DOCS,
        `${docs.slice(0, open)}${example}${docs.slice(Math.max(close, open - 1))}`,
      );
    }
    const written = block(await readFile(DOCS, 'utf8')).text;

    // Assess
    expect(start, 'the marker is missing from docs/operate.md').toBeGreaterThan(0);
    expect(example).toContain('S3AccessDenied (permission): 1 file.');
    expect(written, `docs/operate.md is stale: run ${UPDATE_COMMAND}`).toBe(example);
  });
});
