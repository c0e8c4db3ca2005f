import { parseArn } from '../common/arn.ts';
import { display } from '../common/text.ts';
import type { TopicInventory, TopicSubscriptionFacts } from '../common/types.ts';
import { shellArg } from '../render/shell.ts';
import { type Context, couldNotCheck, type Finding, finding, regionArg } from './finding.ts';

/*
 * The topic check: whether the summary topic, where every email and alarm goes, has a confirmed
 * subscription. A pending one receives nothing; an unconfirmed subscription expires, and anyone
 * holding a forwarded email can unsubscribe an address confirmed from the email's link
 * (docs/operate.md#confirm-the-subscription-so-nobody-else-can-end-it).
 */

/** What the FILE SYSTEM column shows for the topic: it carries the alerts of every one. */
const ALL_FILE_SYSTEMS = '(all)';
/** Where a person reads how to confirm so that only AWS credentials can unsubscribe. */
const CONFIRM_DOC = 'docs/operate.md, "Confirm the subscription so nobody else can end it"';

/** The topic's account, Region and partition, for the finding and its commands. */
function topicContext(topicArn: string): Context {
  const arn = parseArn(topicArn);
  return {
    fileSystemId: ALL_FILE_SYSTEMS,
    partition: arn?.partition ?? 'aws',
    region: arn?.region || '<region>',
    account: arn?.account || '<account-id>',
  };
}

/** "2 email, 1 sqs": how many subscriptions per protocol, in a stable order. */
function byProtocol(subscriptions: readonly TopicSubscriptionFacts[]): string {
  const counts = new Map<string, number>();
  for (const { protocol } of subscriptions) {
    const shown = display(protocol, 20);
    counts.set(shown, (counts.get(shown) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([protocol, count]) => `${count} ${protocol}`)
    .join(', ');
}

/** The PROBLEM of a topic nobody confirmed: confirm the pending subscription, or subscribe one. */
function unconfirmedFinding(
  context: Context,
  topic: TopicInventory,
  shown: string,
  pending: readonly TopicSubscriptionFacts[],
): Finding {
  const topicArn = shellArg(topic.topicArn);
  const where = regionArg(context);
  const detail =
    pending.length === 0
      ? `summary topic ${shown} has no subscription: no email or alarm reaches anyone`
      : `summary topic ${shown} has no confirmed subscription (pending: ${byProtocol(pending)}): ` +
        'no email or alarm reaches anyone until one is confirmed';
  const fix =
    pending.length === 0
      ? `Subscribe an address, then confirm it by command as ${CONFIRM_DOC} shows:`
      : 'Confirm the pending subscription with the token of its confirmation email (the Token= ' +
        'value of its "Confirm subscription" link; do not open the link), so that only AWS ' +
        `credentials can unsubscribe it (${CONFIRM_DOC}); if the email is gone or its token ` +
        'expired (after 3 days), subscribe the address again for a new email first. Confirm with:';
  const command =
    pending.length === 0
      ? `aws sns subscribe${where} --topic-arn ${topicArn} --protocol email ` +
        '--notification-endpoint <address>'
      : `aws sns confirm-subscription${where} --topic-arn ${topicArn} --token <token> ` +
        '--authenticate-on-unsubscribe true';
  return finding(context, 'topic', shown, 'PROBLEM', detail, fix, [command]);
}

/**
 * The topic finding: OK with a confirmed subscription, PROBLEM with none (or no topic at all),
 * UNKNOWN when its subscriptions could not be listed. No finding when no topic was given.
 */
function topicFindings(topic: TopicInventory | undefined): Finding[] {
  if (topic === undefined) return [];
  const context = topicContext(topic.topicArn);
  const arn = parseArn(topic.topicArn);
  const shown = display(arn?.service === 'sns' ? arn.resource : topic.topicArn, 80);
  const lookup = topic.lookup;
  if (!lookup.ok) {
    return [couldNotCheck(context, 'topic', shown, `the subscriptions of topic ${shown}`, lookup)];
  }
  if (!lookup.value.exists) {
    return [
      finding(
        context,
        'topic',
        shown,
        'PROBLEM',
        `summary topic ${display(topic.topicArn, 120)} does not exist: no email or alarm is sent`,
        'Check the topic ARN (--topic-arn, SUMMARY_TOPIC_ARN): the stack prints it as its ' +
          'SummaryTopicArn output.',
      ),
    ];
  }
  const { subscriptions } = lookup.value;
  const confirmed = subscriptions.filter((subscription) => subscription.confirmed);
  const pending = subscriptions.filter((subscription) => !subscription.confirmed);
  if (confirmed.length === 0) return [unconfirmedFinding(context, topic, shown, pending)];
  const waiting = pending.length === 0 ? '' : `; pending: ${byProtocol(pending)}`;
  return [
    finding(
      context,
      'topic',
      shown,
      'OK',
      `summary topic ${shown} has confirmed subscriptions: ${byProtocol(confirmed)}${waiting}`,
    ),
  ];
}

export { ALL_FILE_SYSTEMS, topicFindings };
