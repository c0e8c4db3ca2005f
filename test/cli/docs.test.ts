import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { help as analyzeHelp } from '../../cli/analyze.ts';
import { help as doctorHelp } from '../../cli/doctor.ts';
import { main } from '../../cli/main.ts';
import { help as reexportHelp } from '../../cli/reexport.ts';
import { help as scanHelp } from '../../cli/scan.ts';
import { fakeIo } from '../helpers/cli.ts';

/*
 * docs/cli.md against each command's --help text (the `help` each command module prints): the
 * IAM actions a command needs and the environment analyze reads must be the same in both, so a
 * role or a shell set up from the page works as the tool says.
 */

const CLI_MD = fileURLToPath(new URL('../../docs/cli.md', import.meta.url));
const OPERATE_MD = fileURLToPath(new URL('../../docs/operate.md', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../samples/events', import.meta.url));
const SAMPLE = fileURLToPath(
  new URL('../../samples/events/ml-training-new-labels.json', import.meta.url),
);

/** The IAM actions named in `text` (`fsx:DescribeFileSystems`, `dynamodb:PutItem`, …), sorted. */
function actions(text: string): string[] {
  const found = text.match(/\b(?:cloudwatch|dynamodb|fsx|kms|logs|s3|sns|sqs|sts):[A-Za-z*]+/g);
  return [...new Set(found ?? [])].sort();
}

/** The environment variable names in `text`, sorted. */
function variables(text: string): string[] {
  return [...new Set(text.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? [])].sort();
}

/** The paragraph of `text` that starts where `marker` does (up to the next blank line). */
function paragraphFrom(text: string, marker: string): string {
  const from = text.indexOf(marker);
  if (from < 0) throw new Error(`no "${marker}" in the text`);
  const end = text.indexOf('\n\n', from);
  return text.slice(from, end < 0 ? undefined : end);
}

/** The "Needs" cell of a command's row in docs/cli.md's table of commands that call AWS. */
function needsRow(doc: string, command: string): string {
  const row = doc.split('\n').find((line) => line.startsWith(`| \`${command}\` `));
  if (row === undefined) throw new Error(`docs/cli.md: no Needs row for ${command}`);
  return row.split(' | ')[1] ?? '';
}

describe('Docs: docs/cli.md agrees with --help', () => {
  it.each([
    ['scan', () => paragraphFrom(scanHelp, 'Needs')],
    ['reexport', () => paragraphFrom(reexportHelp, 'Needs')],
    ['doctor', () => paragraphFrom(doctorHelp, 'Needs:')],
    ['doctor --org', () => paragraphFrom(doctorHelp, 'Organization mode')],
  ])('lists the IAM actions %s --help names, no more, no fewer', async (command, helpNeeds) => {
    // Prepare
    const doc = await readFile(CLI_MD, 'utf8');

    // Act
    const documented = actions(needsRow(doc, command));
    const helped = actions(helpNeeds());

    // Assess
    expect(helped.length).toBeGreaterThan(0);
    expect(documented, `docs/cli.md, the ${command} row of "Commands that call AWS"`).toEqual(
      helped,
    );
  });

  it("names doctor's cloudwatch:GetMetricData, without which the backlog is UNKNOWN", async () => {
    // Act
    const row = needsRow(await readFile(CLI_MD, 'utf8'), 'doctor');

    // Assess
    expect(row).toContain('`cloudwatch:GetMetricData`');
    expect(row).toContain('UNKNOWN');
  });

  it('lists the environment variables analyze --help lists', async () => {
    // Prepare
    const doc = await readFile(CLI_MD, 'utf8');

    // Act
    const documented = variables(
      paragraphFrom(doc, 'It reads `BUSY_DELAY_SECONDS`').split(' from the environment')[0] ?? '',
    );
    const helped = variables(paragraphFrom(analyzeHelp, 'Environment:'));

    // Assess
    expect(helped).toContain('MAX_PATHS_PER_TASK');
    expect(documented).toEqual(helped);
  });

  it('names every exit-1 cause of reexport that docs/cli.md gives, in both --help texts', async () => {
    // Prepare: the causes as docs/cli.md's reexport section words them.
    const doc = (await readFile(CLI_MD, 'utf8')).replace(/`/g, '').replace(/\s+/g, ' ');
    const top = fakeIo();
    await main(['--help'], top);
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const causes = [
      'refused',
      'an AWS call failed',
      'nothing started because every failure was left out',
      'not recorded in LEDGER_TABLE',
    ];

    // Act
    const documented = paragraphFrom(doc, 'Exit status: 0 all started').split('; 2 ')[0] ?? '';
    const reexport = flat(paragraphFrom(reexportHelp, 'Exit status:')).split('; 2 ')[0] ?? '';
    const overall = flat(paragraphFrom(top.out.join(''), 'Exit status:')).split('; 2 ')[0] ?? '';

    // Assess
    for (const cause of causes) {
      expect(documented, 'docs/cli.md, reexport').toContain(cause);
      expect(reexport, 'reexport --help').toContain(cause);
    }
    // The top-level text says the same in short.
    expect(overall).toContain('an AWS call failed (scan, reexport)');
    expect(overall).toContain(
      'a re-export was refused, could not be planned or was not recorded in LEDGER_TABLE (reexport)',
    );
  });

  it('quotes the lines --region is refused with as analyze and doctor print them', async () => {
    // Prepare
    const doc = await readFile(CLI_MD, 'utf8');
    const block = paragraphFrom(doc.slice(doc.indexOf('**Regions.**')), '```\n');
    const [fileLike, notRegion] = block.split('\n').slice(1, 3);
    const runs = {
      analyze: fakeIo(),
      doctor: fakeIo(),
      doctorOrg: fakeIo(),
    };

    // Act
    await main(['analyze', '--region', 'samples/events/prod-lustre-cfd.json'], runs.analyze);
    await main(['doctor', '--region', 'EU-WEST-1'], runs.doctor);
    await main(
      ['doctor', '--org', '--accounts', '111122223333', '--region', 'EU-WEST-1'],
      runs.doctorOrg,
    );

    // Assess
    expect(runs.analyze.err[0]).toBe(`${fileLike}\n`);
    expect(runs.doctor.err[0]).toBe(`${notRegion}\n`);
    expect(runs.doctorOrg.err[0]).toBe(`${notRegion}\n`);
    expect(doc).not.toContain('--region must look like');
  });

  it('says that analyze without a Region leaves the links out, and --email says so on stderr', async () => {
    // Prepare
    const doc = await readFile(CLI_MD, 'utf8');
    const withoutRegion = fakeIo();
    const withRegion = fakeIo({ env: { AWS_REGION: 'eu-west-1' } });

    // Act
    await main(['analyze', '--email', SAMPLE], withoutRegion);
    await main(['analyze', '--email', SAMPLE], withRegion);

    // Assess
    expect(withRegion.out.join('')).toContain('https://eu-west-1.console.aws.amazon.com/');
    expect(withRegion.err).toEqual([]);
    expect(withoutRegion.out.join('')).not.toContain('console.aws.amazon.com');
    expect(withoutRegion.err).toEqual([
      'fsx-export-analyzer: no AWS Region (--region, AWS_REGION or AWS_DEFAULT_REGION): the email leaves out the console and Logs Insights links the Lambda would include\n',
    ]);
    expect(doc).toContain('With none of\nthem, `analyze` leaves the links out');
    expect(doc.replace(/\s+/g, ' ')).toContain('`--email` says so in one line on stderr');
  });
});

describe('Docs: the summary email example in docs/operate.md', () => {
  const marker = '<!-- generated: summary email opening, analyze --email samples/events';
  const update = 'FEA_UPDATE_DOCS=1 npx vitest run test/cli/docs.test.ts';

  /** The fenced block after the marker: its text and where it lies. */
  function block(docs: string): { start: number; open: number; close: number; text: string } {
    const start = docs.indexOf(marker);
    const open = docs.indexOf('```\n', start) + 4;
    const close = docs.indexOf('\n```\n', open - 1);
    return { start, open, close, text: close < open ? '' : docs.slice(open, close) };
  }

  it('is the opening of analyze --email samples/events: subject, headline and class table', async () => {
    // Prepare: the subject, then the body up to the blank line after the class table.
    const io = fakeIo();
    await main(['analyze', '--email', SAMPLES], io);
    const example = io.out.join('').split('\n\n').slice(0, 3).join('\n\n');
    const docs = await readFile(OPERATE_MD, 'utf8');
    const { start, open, close, text } = block(docs);

    // Act
    if (process.env['FEA_UPDATE_DOCS'] === '1' && start > 0 && text !== example) {
      await writeFile(
        OPERATE_MD,
        `${docs.slice(0, open)}${example}${docs.slice(Math.max(close, open - 1))}`,
      );
    }
    const written = block(await readFile(OPERATE_MD, 'utf8')).text;

    // Assess: one kind of run throughout, a dry run's words.
    expect(start, 'the marker is missing from docs/operate.md').toBeGreaterThan(0);
    expect(example).toMatch(/^Subject: \[dry run\] /);
    expect(example).toContain('would re-export after delay');
    expect(written, `docs/operate.md is stale: run ${update}`).toBe(example);
  });
});
