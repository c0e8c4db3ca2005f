import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../../lib/common/types.ts';
import { doctorChanges, toFindingState } from '../../../lib/doctor/changes.ts';
import { diagnose, type Finding } from '../../../lib/doctor/diagnose.ts';
import {
  renderDoctorAlert,
  renderDoctorJson,
  renderDoctorText,
} from '../../../lib/doctor/render.ts';
import packageJson from '../../../package.json' with { type: 'json' };
import {
  ACCOUNT,
  ANALYZER,
  association,
  DOCTOR_AT,
  fileSystem,
  filter,
  GROUP,
  GROUP_ARN,
  HOSTILE,
  inventory,
  OTHER,
  REGION,
  subscribed,
  UNSAFE,
} from '../../helpers/doctor.ts';
import { FS } from '../../helpers/fixtures.ts';

describe('Function: renderDoctorText', () => {
  it('prints a table and the fixes within 100 columns, commands whole', () => {
    // Prepare
    const result = diagnose(
      inventory({
        fileSystem: fileSystem({ logging: { level: 'WARN_ONLY', destination: GROUP_ARN } }),
        associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
        logGroups: { [GROUP]: subscribed() },
      }),
    );

    // Act
    const output = renderDoctorText(result);

    // Assess
    const lines = output.split('\n');
    expect(lines[0]).toBe(
      'doctor: 1 FSx for Lustre file system in eu-west-1; 3 PROBLEM; NOT fully watched: see below',
    );
    expect(lines[2]).toBe(`Names: ${FS} training`);
    expect(lines[4]).toBe(
      `${'FILE SYSTEM'.padEnd(21)}${'CHECK'.padEnd(13)}${'STATUS'.padEnd(8)}DETAIL`,
    );
    expect(lines[5]).toMatch(/^fs-0123456789abcdef0 logging {6}PROBLEM logging WARN_ONLY/);
    const commands = lines.filter((line) => line.startsWith('     aws '));
    expect(commands).toHaveLength(5);
    for (const line of lines) {
      if (!line.startsWith('     aws ')) expect(line.length).toBeLessThanOrEqual(100);
    }
    expect(output).toContain('How to fix:\n1. fs-0123456789abcdef0 logging (PROBLEM): ');
  });

  it('lists a fix shared by file systems on the same log group once, naming them all', () => {
    // Prepare
    const second = 'fs-0fedcba9876543210';
    const base = inventory({ logGroups: { [GROUP]: subscribed(filter(OTHER)) } });
    const [first] = base.fileSystems;
    if (first === undefined) throw new Error('no file system');
    const shared: Inventory = {
      ...base,
      fileSystems: [
        first,
        {
          fileSystem: fileSystem({
            fileSystemId: second,
            arn: `arn:aws:fsx:${REGION}:${ACCOUNT}:file-system/${second}`,
          }),
          associations: { ok: true, value: [association()] },
        },
      ],
    };

    // Act
    const output = renderDoctorText(diagnose(shared));

    // Assess: two table rows, one fix.
    expect(output.match(/ subscription PROBLEM /g)).toHaveLength(2);
    expect(output).toContain(`How to fix:\n1. ${FS}, ${second} subscription (PROBLEM): `);
    expect(output).not.toContain('\n2. ');
  });

  it('says when the Region has no FSx for Lustre file system', () => {
    // Prepare
    const result = diagnose({ region: 'eu-north-1', fileSystems: [], logGroups: new Map() });

    // Act
    const output = renderDoctorText(result);

    // Assess
    expect(output).toContain(
      'No FSx for Lustre file systems in eu-north-1: is this the right Region (--region)?',
    );
  });

  it('sanitises hostile names from AWS everywhere', () => {
    // Prepare
    const hostileGroup = `/aws/fsx/${HOSTILE}`;
    const result = diagnose(
      inventory({
        fileSystem: fileSystem({
          logging: {
            level: 'WARN_ONLY',
            destination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${hostileGroup}`,
          },
        }),
        associations: {
          ok: true,
          value: [
            association({
              lifecycle: 'MISCONFIGURED',
              fileSystemPath: `/ns1/${HOSTILE}`,
              dataRepositoryPath: `s3://b/${HOSTILE}`,
              failureMessage: HOSTILE,
            }),
          ],
        },
        logGroups: { [hostileGroup]: subscribed(filter(`${OTHER}${HOSTILE}`, HOSTILE)) },
      }),
    );

    // Act
    const text = renderDoctorText(result);
    const json = renderDoctorJson(result);

    // Assess
    expect(text.replaceAll('\n', '')).not.toMatch(UNSAFE);
    expect(text).toContain('\\x1b[2J');
    expect(text.split('\n').filter((line) => line.includes('fake line'))).not.toEqual([]);
    expect(
      JSON.parse(json)
        .findings.map((item: Finding) => item.detail)
        .join(''),
    ).not.toMatch(UNSAFE);
  });

  it('never splits a character outside the BMP when it cuts or wraps', () => {
    // Prepare: an id that is cut in the 21-column FILE SYSTEM cell right inside a pair, and a
    // name of 200 such characters with no space, wrapped at 100 columns.
    const id = `fs-${'0'.repeat(16)}\u{1F600}x`;
    const setup: Inventory = {
      region: REGION,
      fileSystems: [
        {
          fileSystem: fileSystem({ fileSystemId: id, name: '\u{1F600}'.repeat(200) }),
          associations: { ok: true, value: [] },
        },
      ],
      logGroups: new Map([[GROUP, subscribed(filter(ANALYZER))]]),
    };

    // Act
    const text = renderDoctorText(diagnose(setup));

    // Assess
    expect(text).not.toMatch(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
    );
    expect(text).toContain(`fs-${'0'.repeat(16)} `);
  });
});

describe('Function: renderDoctorJson', () => {
  it('writes one document with stable field names', () => {
    // Prepare
    const result = diagnose(inventory({ logGroups: { [GROUP]: subscribed() } }));

    // Act
    const document = JSON.parse(renderDoctorJson(result));

    // Assess
    expect(Object.keys(document)).toEqual([
      'region',
      'fileSystems',
      'names',
      'healthy',
      'counts',
      'findings',
    ]);
    expect(document).toMatchObject({
      region: REGION,
      fileSystems: 1,
      names: { [FS]: 'training' },
      healthy: false,
    });
    expect(document.findings[1]).toEqual({
      key: `${FS}|subscription|/aws/fsx/lustre`,
      fileSystemId: FS,
      check: 'subscription',
      subject: '/aws/fsx/lustre',
      severity: 'PROBLEM',
      detail: expect.stringContaining('has no subscription'),
      fix: expect.stringContaining("Add this log group to the stack's logGroups parameter"),
      commands: [
        expect.stringMatching(/^aws lambda add-permission/),
        expect.stringMatching(/^aws logs put-subscription-filter/),
      ],
    });
    expect(document.findings[0].fix).toBeNull();
  });
});

describe('Function: renderDoctorAlert', () => {
  it("ends a cut body with where the rest is: the doctor's log and the CLI, not the analyzer's log", () => {
    // Prepare: 1,500 misconfigured associations with long repository paths cannot fit.
    const before = toFindingState(diagnose(inventory()).findings);
    const value = Array.from({ length: 1_500 }, (_, index) =>
      association({
        associationId: `dra-${String(index).padStart(17, '0')}`,
        lifecycle: 'MISCONFIGURED',
        dataRepositoryPath: `s3://bucket/${'\u20ac'.repeat(300)}${index}`,
      }),
    );
    const result = diagnose(inventory({ associations: { ok: true, value } }));

    // Act
    const alert = renderDoctorAlert(
      result,
      doctorChanges(before, result.findings).changes,
      DOCTOR_AT,
    );

    // Assess
    expect(Buffer.byteLength(alert.body, 'utf8')).toBeLessThanOrEqual(250_000);
    expect(alert.body).toContain(
      [
        "[truncated at the SNS size limit. The doctor's log has one line per WARN,",
        'PROBLEM or UNKNOWN finding ("Doctor finding"). For the whole check, run',
        '  fsx-export-analyzer doctor',
        'in the same account and Region (docs/cli.md#doctor).]',
        '',
        `Sent by fsx-export-analyzer ${packageJson.version} (doctor) at ${DOCTOR_AT}.`,
      ].join('\n'),
    );
    expect(alert.body).not.toContain("The analyzer's log has one line per");
  });

  it('names the new problem in the subject and shows the change, then the whole check', () => {
    // Prepare
    const before = toFindingState(diagnose(inventory()).findings);
    const result = diagnose(
      inventory({
        associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
      }),
    );

    // Act
    const alert = renderDoctorAlert(
      result,
      doctorChanges(before, result.findings).changes,
      DOCTOR_AT,
    );

    // Assess
    expect(alert.subject).toBe(`FSx doctor in ${REGION}: 1 new problem: ${FS} association`);
    expect(alert.body).toContain(
      `WHAT CHANGED\n------------\n* ${FS} association: OK -> PROBLEM: `,
    );
    expect(alert.body).toContain('THE WHOLE CHECK');
    expect(alert.body).toContain('How to fix:');
    expect(
      alert.body.endsWith(
        `\n\nSent by fsx-export-analyzer ${packageJson.version} (doctor) at ${DOCTOR_AT}.`,
      ),
    ).toBe(true);
    expect(alert.attributes).toEqual({
      summary: 'doctor',
      fileSystemId: FS,
      fileSystemIds: [FS],
      needsPerson: 'true',
      dryRun: 'false',
    });
  });

  it('says when everything is fixed', () => {
    // Prepare
    const before = toFindingState(
      diagnose(
        inventory({
          associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
        }),
      ).findings,
    );
    const result = diagnose(inventory());

    // Act
    const alert = renderDoctorAlert(
      result,
      doctorChanges(before, result.findings).changes,
      DOCTOR_AT,
    );

    // Assess
    expect(alert.subject).toBe(`FSx doctor in ${REGION}: fixed, export failures are watched again`);
    expect(alert.attributes['needsPerson']).toBe('false');
  });

  it('does not say all is fixed while another problem remains', () => {
    // Prepare
    const off = fileSystem({ logging: undefined });
    const before = toFindingState(
      diagnose(
        inventory({
          fileSystem: off,
          associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
        }),
      ).findings,
    );
    const result = diagnose(inventory({ fileSystem: off }));

    // Act
    const alert = renderDoctorAlert(
      result,
      doctorChanges(before, result.findings).changes,
      DOCTOR_AT,
    );

    // Assess
    expect(alert.subject).toBe(`FSx doctor in ${REGION}: 1 fixed, 1 still to fix`);
    expect(alert.body).toContain('others remain');
    expect(alert.attributes['needsPerson']).toBe('false');
  });

  it.each([
    ['UNKNOWN', 'associations', 'UNKNOWN -> checked again'],
    ['PROBLEM', 'association', 'PROBLEM -> gone (deleted?)'],
  ] as const)('words a %s finding that went away', (before, check, words) => {
    // Prepare
    const change = {
      key: `${FS}|${check}|x`,
      fileSystemId: FS,
      check,
      before,
      after: undefined,
      detail: undefined,
    };

    // Act
    const alert = renderDoctorAlert(diagnose(inventory()), [change], DOCTOR_AT);

    // Assess
    expect(alert.body).toContain(`* ${FS} ${check}: ${words}\n`);
  });

  it('keeps the subject short, ASCII and on one line, and the body free of raw control text', () => {
    // Prepare
    const hostile = `fs-0123456789abcdef0${HOSTILE}`;
    const changes = Array.from({ length: 30 }, (_, index) => ({
      key: `k${index}`,
      fileSystemId: hostile,
      check: 'logging' as const,
      before: 'OK' as const,
      after: 'PROBLEM' as const,
      detail: HOSTILE,
    }));

    // Act
    const alert = renderDoctorAlert(diagnose(inventory()), changes, DOCTOR_AT);

    // Assess
    expect(alert.subject.length).toBeLessThan(100);
    expect(alert.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(alert.body).not.toMatch(UNSAFE);
  });
});
