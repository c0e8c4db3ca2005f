import { describe, expect, it } from 'vitest';
import type {
  Checked,
  Inventory,
  TopicFacts,
  TopicSubscriptionFacts,
} from '../../../lib/common/types.ts';
import { doctorChanges, toFindingState } from '../../../lib/doctor/changes.ts';
import { diagnose } from '../../../lib/doctor/diagnose.ts';
import { renderDoctorAlert, renderDoctorText } from '../../../lib/doctor/render.ts';
import { DOCTOR_AT, HOSTILE, inventory, only, REGION, UNSAFE } from '../../helpers/doctor.ts';
import { FS } from '../../helpers/fixtures.ts';

/* The topic check: whom the alerts reach, from the summary topic's subscriptions. */

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-analyzer-prod-summary';
const EMAIL: TopicSubscriptionFacts = { protocol: 'email', confirmed: true };
const PENDING: TopicSubscriptionFacts = { protocol: 'email', confirmed: false };

/** The healthy inventory of test/helpers/doctor.ts, with the topic looked up as `lookup`. */
function withTopic(lookup: Checked<TopicFacts>, base: Inventory = inventory()): Inventory {
  return { ...base, topic: { topicArn: TOPIC, lookup } };
}

function subscriptions(...list: TopicSubscriptionFacts[]): Checked<TopicFacts> {
  return { ok: true, value: { exists: true, subscriptions: list } };
}

describe('Function: diagnose, the summary topic', () => {
  it('checks nothing about the topic when none was given', () => {
    // Prepare
    const setup = inventory();

    // Act
    const result = diagnose(setup);

    // Assess
    expect(result.findings.some((item) => item.check === 'topic')).toBe(false);
  });

  it('is OK with a confirmed subscription, and says what else waits', () => {
    // Prepare
    const setup = withTopic(subscriptions(EMAIL, { protocol: 'sqs', confirmed: true }, PENDING));

    // Act
    const result = diagnose(setup);

    // Assess
    expect(only(result, 'topic')).toMatchObject({
      key: '(all)|topic|fsx-export-analyzer-prod-summary',
      fileSystemId: '(all)',
      subject: 'fsx-export-analyzer-prod-summary',
      severity: 'OK',
      detail:
        'summary topic fsx-export-analyzer-prod-summary has confirmed subscriptions: 1 email, ' +
        '1 sqs; pending: 1 email',
      fix: undefined,
    });
    expect(result.healthy).toBe(true);
  });

  it('is a PROBLEM while the only subscription waits for its confirmation', () => {
    // Prepare
    const setup = withTopic(subscriptions(PENDING));

    // Act
    const result = diagnose(setup);

    // Assess
    const found = only(result, 'topic');
    expect(found.severity).toBe('PROBLEM');
    expect(found.detail).toBe(
      'summary topic fsx-export-analyzer-prod-summary has no confirmed subscription (pending: ' +
        '1 email): no email or alarm reaches anyone until one is confirmed',
    );
    expect(found.fix).toContain('only AWS credentials can unsubscribe it');
    expect(found.commands).toEqual([
      `aws sns confirm-subscription --region eu-west-1 --topic-arn ${TOPIC} --token <token> ` +
        '--authenticate-on-unsubscribe true',
    ]);
    expect(result.healthy).toBe(false);
  });

  it('is a PROBLEM with no subscription at all, and gives the subscribe command', () => {
    // Prepare
    const setup = withTopic(subscriptions());

    // Act
    const found = only(diagnose(setup), 'topic');

    // Assess
    expect(found).toMatchObject({
      severity: 'PROBLEM',
      detail:
        'summary topic fsx-export-analyzer-prod-summary has no subscription: no email or alarm ' +
        'reaches anyone',
      commands: [
        `aws sns subscribe --region eu-west-1 --topic-arn ${TOPIC} --protocol email ` +
          '--notification-endpoint <address>',
      ],
    });
  });

  it('is a PROBLEM when the topic does not exist', () => {
    // Prepare
    const setup = withTopic({ ok: true, value: { exists: false } });

    // Act
    const found = only(diagnose(setup), 'topic');

    // Assess
    expect(found.severity).toBe('PROBLEM');
    expect(found.detail).toBe(`summary topic ${TOPIC} does not exist: no email or alarm is sent`);
    expect(found.fix).toContain('SummaryTopicArn');
  });

  it('is UNKNOWN when the subscriptions cannot be listed, naming the permission', () => {
    // Prepare
    const setup = withTopic({
      ok: false,
      reason: 'AuthorizationErrorException: not authorized',
      permission: 'sns:ListSubscriptionsByTopic',
      denied: true,
    });

    // Act
    const found = only(diagnose(setup), 'topic');

    // Assess
    expect(found.severity).toBe('UNKNOWN');
    expect(found.detail).toBe(
      'could not check the subscriptions of topic fsx-export-analyzer-prod-summary: ' +
        'AuthorizationErrorException: not authorized (needs sns:ListSubscriptionsByTopic)',
    );
    expect(found.fix).toBe(
      'Grant sns:ListSubscriptionsByTopic to the identity running doctor, then run it again.',
    );
  });

  it('sanitises a hostile protocol name', () => {
    // Prepare
    const setup = withTopic(subscriptions({ protocol: HOSTILE, confirmed: true }));

    // Act
    const found = only(diagnose(setup), 'topic');

    // Assess
    expect(found.detail).not.toMatch(UNSAFE);
  });
});

describe('Function: renderDoctorText and renderDoctorAlert, the summary topic', () => {
  it('shows the topic as a row for all file systems, with its fix', () => {
    // Prepare
    const result = diagnose(withTopic(subscriptions(PENDING)));

    // Act
    const text = renderDoctorText(result);

    // Assess
    expect(text.split('\n')[0]).toBe(
      'doctor: 1 FSx for Lustre file system in eu-west-1; 3 OK, 1 PROBLEM; NOT fully watched: ' +
        'see below',
    );
    expect(text).toContain(
      `\n(all)                topic        PROBLEM summary topic fsx-export-analyzer-prod-summary has no\n`,
    );
    expect(text).toContain('How to fix:\n1. (all) topic (PROBLEM): Confirm the pending ');
    expect(text).toContain(
      `\n     aws sns confirm-subscription --region eu-west-1 --topic-arn ${TOPIC}`,
    );
  });

  it('still shows the topic when the Region has no file system', () => {
    // Prepare
    const empty: Inventory = { region: REGION, fileSystems: [], logGroups: new Map() };
    const result = diagnose(withTopic(subscriptions(), empty));

    // Act
    const text = renderDoctorText(result);

    // Assess
    expect(text).toContain('No FSx for Lustre file systems in eu-west-1');
    expect(text).toContain('(all)                topic        PROBLEM ');
    expect(text).toContain('aws sns subscribe --region eu-west-1');
  });

  it('emails a topic that lost its last confirmed subscription, without a file system id attribute', () => {
    // Prepare
    const before = toFindingState(diagnose(withTopic(subscriptions(EMAIL))).findings);
    const result = diagnose(withTopic(subscriptions(PENDING)));

    // Act
    const alert = renderDoctorAlert(
      result,
      doctorChanges(before, result.findings).changes,
      DOCTOR_AT,
    );

    // Assess
    expect(alert.subject).toBe(`FSx doctor in ${REGION}: 1 new problem: (all) topic`);
    expect(alert.body).toContain('* (all) topic: OK -> PROBLEM: summary topic ');
    expect(alert.attributes).toEqual({
      summary: 'doctor',
      fileSystemId: 'unknown',
      needsPerson: 'true',
      dryRun: 'false',
    });
  });

  it('keeps the file systems in the attributes when the topic changes with them', () => {
    // Prepare
    const result = diagnose(withTopic(subscriptions()));
    const changes = doctorChanges([], result.findings).changes;

    // Act
    const alert = renderDoctorAlert(
      result,
      [
        ...changes,
        {
          key: `${FS}|logging|${FS}`,
          fileSystemId: FS,
          check: 'logging',
          before: 'OK',
          after: 'PROBLEM',
          detail: 'logging is off',
        },
      ],
      DOCTOR_AT,
    );

    // Assess
    expect(alert.attributes['fileSystemIds']).toEqual([FS]);
  });
});
