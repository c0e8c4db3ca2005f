import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../../lib/common/types.ts';
import { diagnose } from '../../../lib/doctor/diagnose.ts';
import {
  ACCOUNT,
  ANALYZER,
  association,
  fileSystem,
  filter,
  GROUP,
  inventory,
  OTHER,
  only,
  REGION,
  subscribed,
} from '../../helpers/doctor.ts';
import { FS } from '../../helpers/fixtures.ts';

/*
 * Doctor's fix commands are ready to paste: filled from what doctor saw (the Region, the account,
 * the analyzer it was given or found, the log groups, the bucket) rather than placeholders.
 */

const TRAINING = '/aws/fsx/training';
const FS2 = 'fs-0fedcba9876543210';
const DEV_ANALYZER = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:fsx-export-analyzer-dev-analyzer`;

/** Two file systems: FS logs to /aws/fsx/lustre, FS2 to /aws/fsx/training; `groups` as found. */
function twoGroups(groups: Inventory['logGroups']): Inventory {
  const base = inventory();
  const [first] = base.fileSystems;
  if (first === undefined) throw new Error('no file system');
  const second = fileSystem({
    fileSystemId: FS2,
    arn: `arn:aws:fsx:${REGION}:${ACCOUNT}:file-system/${FS2}`,
    logging: {
      level: 'WARN_ERROR',
      destination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${TRAINING}`,
    },
  });
  return {
    ...base,
    fileSystems: [first, { fileSystem: second, associations: { ok: true, value: [] } }],
    logGroups: groups,
  };
}

/** The subscription finding of FS2's log group. */
function trainingFix(setup: Inventory, functionRef?: string) {
  const found = diagnose(setup, { functionRef }).findings.find(
    (item) => item.check === 'subscription' && item.fileSystemId === FS2,
  );
  if (found === undefined) throw new Error('no subscription finding for FS2');
  return found;
}

describe('Function: diagnose, fix commands filled from what doctor saw', () => {
  it('names the analyzer another log group is subscribed to, its stage and its log groups', () => {
    // Prepare
    const setup = twoGroups(
      new Map([
        [GROUP, subscribed(filter(ANALYZER))],
        [TRAINING, subscribed()],
      ]),
    );

    // Act
    const found = trainingFix(setup);

    // Assess
    expect(found.fix).toContain(
      'npx osls deploy --stage prod --region eu-west-1 ' +
        '--param=logGroups=/aws/fsx/lustre,/aws/fsx/training',
    );
    expect(found.commands.join('\n')).not.toContain('<stage>');
    expect(found.commands[0]).toContain(`--function-name ${ANALYZER} `);
    expect(found.commands[1]).toBe(
      `aws logs put-subscription-filter --region eu-west-1 --log-group-name ${TRAINING} ` +
        `--filter-name fsx-export-analyzer --filter-pattern '' --destination-arn ${ANALYZER}`,
    );
  });

  it('keeps the placeholder when log groups point to analyzers of two stages', () => {
    // Prepare
    const third = '/aws/fsx/third';
    const setup = twoGroups(
      new Map([
        [GROUP, subscribed(filter(ANALYZER))],
        [TRAINING, subscribed()],
        [third, subscribed(filter(DEV_ANALYZER))],
      ]),
    );

    // Act
    const found = trainingFix(setup);

    // Assess
    expect(found.fix).toContain('--stage <stage> ');
    expect(found.fix).toContain('--param=logGroups=/aws/fsx/training)');
    expect(found.commands[0]).toContain('function:fsx-export-analyzer-<stage>-analyzer');
  });

  it('takes the stage from a --function name, and the groups subscribed to that function', () => {
    // Prepare
    const setup = twoGroups(
      new Map([
        [GROUP, subscribed(filter(DEV_ANALYZER))],
        [TRAINING, subscribed(filter(ANALYZER))],
      ]),
    );

    // Act
    const found = trainingFix(setup, 'fsx-export-analyzer-dev-analyzer');

    // Assess
    expect(found.severity).toBe('PROBLEM');
    expect(found.fix).toContain(
      '--stage dev --region eu-west-1 --param=logGroups=/aws/fsx/lustre,/aws/fsx/training',
    );
    expect(found.commands[0]).toContain(`--function-name ${DEV_ANALYZER} `);
  });

  it('gives one delete command per filter of a full log group, by its name', () => {
    // Prepare
    const setup = inventory({
      logGroups: { [GROUP]: subscribed(filter(OTHER, 'datadog'), filter(`${OTHER}2`, 'siem')) },
    });

    // Act
    const found = only(diagnose(setup), 'subscription');

    // Assess
    expect(found.fix).toContain('run only its command');
    expect(found.fix).not.toContain('NAME');
    expect(found.commands).toEqual([
      `aws logs delete-subscription-filter --region eu-west-1 --log-group-name ${GROUP} --filter-name datadog`,
      `aws logs delete-subscription-filter --region eu-west-1 --log-group-name ${GROUP} --filter-name siem`,
    ]);
  });

  it('creates a missing log group in the Region doctor looked at', () => {
    // Prepare
    const setup = inventory({ logGroups: { [GROUP]: { ok: true, value: { exists: false } } } });

    // Act
    const found = only(diagnose(setup), 'subscription');

    // Assess
    expect(found.commands[0]).toBe(
      `aws logs create-log-group --region eu-west-1 --log-group-name ${GROUP}`,
    );
  });

  it('adds no --region when the Region is unknown', () => {
    // Prepare
    const setup: Inventory = {
      ...inventory({ fileSystem: fileSystem({ arn: undefined, logging: undefined }) }),
      region: undefined,
    };

    // Act
    const found = only(diagnose(setup), 'logging');

    // Assess
    expect(found.commands[0]).toMatch(/^aws fsx update-file-system --file-system-id /);
  });
});

describe('Function: diagnose, the MISCONFIGURED association fix', () => {
  it('names the bucket settings to change, the role FSx uses and the command that shows them', () => {
    // Prepare
    const setup = inventory({
      associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
    });

    // Act
    const found = only(diagnose(setup), 'association');

    // Assess
    expect(found.fix).toContain('until FSx can use bucket ml-archive again');
    expect(found.fix).toContain(
      "(1) the bucket's event notifications (S3 console, bucket Properties, Event notifications)",
    );
    expect(found.fix).toContain('(2) the bucket policy, and the key policy');
    expect(found.fix).toContain(`service-linked role AWSServiceRoleForFSxS3Access_${FS}`);
    expect(found.commands).toEqual([
      'aws s3api get-bucket-notification-configuration --bucket ml-archive',
      'aws fsx update-data-repository-association --region eu-west-1 ' +
        '--association-id dra-0123456789abcdef0 --imported-file-chunk-size 1024',
    ]);
  });

  it('gives no bucket command when the path names no bucket', () => {
    // Prepare
    const setup = inventory({
      associations: {
        ok: true,
        value: [association({ lifecycle: 'MISCONFIGURED', dataRepositoryPath: undefined })],
      },
    });

    // Act
    const found = only(diagnose(setup), 'association');

    // Assess
    expect(found.fix).toContain('until FSx can use the linked bucket again');
    expect(found.fix).not.toContain('The first command');
    expect(found.commands).toHaveLength(1);
  });

  it('names the automatic export policy when automatic export is off', () => {
    // Prepare
    const setup = inventory({
      associations: { ok: true, value: [association({ exportEvents: [] })] },
    });

    // Act
    const found = only(diagnose(setup), 'association');

    // Assess
    expect(found.fix).toContain("the association's automatic export policy (--s3 AutoExportPolicy");
  });
});
