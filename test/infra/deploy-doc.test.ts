import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './osls.ts';

/*
 * Steps of docs/deploy.md and docs/operate.md checked against the repository: the smoke test's
 * clean-up against the ledger table's deletion protection (infra/ledger.yml), the confirmation
 * window of an email subscription, and the release tag the page checks out.
 */

async function doc(name: string): Promise<string> {
  return readFile(join(ROOT, 'docs', name), 'utf8');
}

/** The position of `text` in `within`; fails the test when it is not there. */
function at(within: string, text: string): number {
  const index = within.indexOf(text);
  expect(index, `"${text}" is not in the text`).toBeGreaterThanOrEqual(0);
  return index;
}

describe('Docs: deploy.md, the smoke test', () => {
  it('turns off deletion protection on the smoke ledger before osls remove, and deletes the log group after it', async () => {
    // Prepare
    const deploy = await doc('deploy.md');
    const ledger = await readFile(join(ROOT, 'infra', 'ledger.yml'), 'utf8');
    const smoke = deploy.slice(
      at(deploy, 'To see a whole run without touching a real file system'),
    );

    // Act
    const unprotect = at(
      smoke,
      'aws dynamodb update-table --table-name fsx-export-analyzer-smoke-ledger --no-deletion-protection-enabled',
    );
    const remove = at(smoke, 'npx osls remove --stage smoke');
    const deleteGroup = at(
      smoke,
      'aws logs delete-log-group --log-group-name /aws/fsx/analyzer-smoke-test',
    );

    // Assess: the table the step names is the smoke stage's, and it is protected in every stage.
    expect(ledger).toMatch(/TableName: \$\{self:service\}-\$\{sls:stage\}-ledger$/m);
    expect(ledger).toMatch(/^\s+DeletionProtectionEnabled: true$/m);
    expect(smoke).toContain('npx osls deploy --stage smoke');
    expect(unprotect).toBeLessThan(remove);
    expect(remove).toBeLessThan(deleteGroup);
  });
});

describe('Docs: the email subscription', () => {
  it.each([
    ['deploy.md', 'Confirm it within 48 hours'],
    ['operate.md', 'Confirm within 48 hours'],
  ])(
    '%s: confirm within 48 hours (SNS deletes it then), the token valid for three days',
    async (name, text) => {
      // Act
      const page = await doc(name);

      // Assess
      expect(page).toContain(text);
      expect(page).toContain(
        'https://docs.aws.amazon.com/sns/latest/dg/sns-delete-subscription-topic.html',
      );
      expect(page).toContain('https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html');
      expect(page).not.toMatch(/valid for 3 days|expires after 48 hours/);
    },
  );
});

describe('Docs: deploy.md, making a release', () => {
  it('checks out a tag that exists, or says that none does yet', async () => {
    // Prepare
    const deploy = await doc('deploy.md');
    const [line = '', tag = ''] = /^git checkout (v\S+).*$/m.exec(deploy) ?? [];

    // Act
    const tags = execFileSync('git', ['tag', '--list', tag], { cwd: ROOT, encoding: 'utf8' });

    // Assess
    expect(tag).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(deploy).toContain('Releases are tagged `v<version>`');
    if (tags.trim() !== tag) {
      expect(line).toContain('no tag yet');
      expect(deploy).toContain('No version has been tagged yet');
    }
  });
});
