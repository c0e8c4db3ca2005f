import { display } from '../common/text.ts';
import type { AssociationFacts } from '../common/types.ts';
import { shellArg } from '../render/shell.ts';
import { type Context, type Finding, finding, MAX_VALUE, regionArg } from './finding.ts';

/*
 * The association check: whether a data repository association is AVAILABLE and exports NEW,
 * CHANGED and DELETED files automatically (docs/fsx-facts.md#data-repository-associations).
 */

const AUTO_EXPORT_EVENTS = ['NEW', 'CHANGED', 'DELETED'] as const;

/** An S3 bucket name (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
const BUCKET = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/|$)/;

/**
 * What to change when an association is MISCONFIGURED: FSx can no longer use the bucket, and the
 * settings that break that are the bucket's, not the association's (docs/fsx-facts.md#data-repository-associations).
 */
function misconfiguredFix(bucket: string | undefined, fileSystemId: string): string {
  const where = bucket === undefined ? 'the linked bucket' : `bucket ${bucket}`;
  return (
    `Automatic export has stopped until FSx can use ${where} again. Change back what changed ` +
    `there: (1) the bucket's event notifications (S3 console, bucket Properties, Event ` +
    "notifications): FSx's notification must be there unchanged, and no other notification may " +
    'overlap its event types on the same prefix; (2) the bucket policy, and the key policy if ' +
    `the bucket is encrypted with a KMS key: they must let FSx's service-linked role ` +
    `AWSServiceRoleForFSxS3Access_${fileSystemId} read and write the bucket.` +
    (bucket === undefined ? '' : ' The first command shows the notifications.') +
    ' Once fixed, the association returns to AVAILABLE within 15 minutes; the update below ' +
    '(with one of its current settings) re-checks it at once:'
  );
}

/** The --s3 value that turns automatic export on and keeps the automatic-import events. */
function s3Policies(importEvents: readonly string[]): string {
  const exported = 'AutoExportPolicy={Events=[NEW,CHANGED,DELETED]}';
  const kept = importEvents.filter((event) => /^[A-Z_]+$/.test(event));
  return kept.length === 0 ? exported : `AutoImportPolicy={Events=[${kept.join(',')}]},${exported}`;
}

/** What `associationFindings` says of one association: its id and link, sanitised. */
interface Shown {
  readonly context: Context;
  readonly id: string;
  readonly link: string;
}

/** The finding of an association that is not AVAILABLE, or undefined when it is. */
function lifecycleFinding(association: AssociationFacts, shown: Shown): Finding | undefined {
  const { context, id, link } = shown;
  const lifecycle = association.lifecycle;
  const reason =
    association.failureMessage === undefined
      ? ''
      : `: ${display(association.failureMessage, MAX_VALUE)}`;
  if (lifecycle === 'MISCONFIGURED') {
    const chunk = association.importedFileChunkSize;
    const bucket = BUCKET.exec(association.dataRepositoryPath ?? '')?.[1];
    const inspect =
      bucket === undefined
        ? []
        : [`aws s3api get-bucket-notification-configuration --bucket ${shellArg(bucket)}`];
    return finding(
      context,
      'association',
      id,
      'PROBLEM',
      `${id} ${link} is MISCONFIGURED${reason}; automatic export silently stops`,
      misconfiguredFix(bucket, context.fileSystemId),
      [
        ...inspect,
        `aws fsx update-data-repository-association${regionArg(context)} --association-id ${shellArg(association.associationId)}` +
          (chunk === undefined ? '' : ` --imported-file-chunk-size ${chunk}`),
      ],
    );
  }
  if (lifecycle === 'FAILED') {
    return finding(
      context,
      'association',
      id,
      'PROBLEM',
      `${id} ${link} is FAILED (terminal: e.g. its path or bucket was deleted)${reason}`,
      'A FAILED association cannot recover: delete it and create it again.',
    );
  }
  if (lifecycle === 'DELETING') {
    return finding(
      context,
      'association',
      id,
      'PROBLEM',
      `${id} ${link} is being deleted: nothing under it will be exported`,
      'If that is not intended, create the association again once the deletion ends.',
    );
  }
  if (lifecycle === 'CREATING' || lifecycle === 'UPDATING') {
    return finding(
      context,
      'association',
      id,
      'NOTE',
      `${id} ${link} is ${lifecycle}: run doctor again once it is AVAILABLE`,
    );
  }
  if (lifecycle !== 'AVAILABLE') {
    return finding(
      context,
      'association',
      id,
      'WARN',
      `${id} ${link} is in lifecycle ${display(lifecycle, 40)}, which doctor does not know`,
    );
  }
  return undefined;
}

/** The finding of an AVAILABLE association: which events it exports automatically. */
function exportFinding(association: AssociationFacts, shown: Shown): Finding {
  const { context, id, link } = shown;
  const events = AUTO_EXPORT_EVENTS.filter((event) => association.exportEvents.includes(event));
  if (events.length === 0) {
    return finding(
      context,
      'association',
      id,
      'WARN',
      `${id} ${link} is AVAILABLE, but automatic export is off for this association ` +
        '(nothing to watch)',
      'If files written under it should reach S3 on their own, turn automatic export on: set ' +
        "the association's automatic export policy (--s3 AutoExportPolicy; its automatic import " +
        'policy is kept as it is):',
      [
        `aws fsx update-data-repository-association${regionArg(context)} --association-id ${shellArg(association.associationId)} ` +
          `--s3 ${shellArg(s3Policies(association.importEvents))}`,
      ],
    );
  }
  const missing = AUTO_EXPORT_EVENTS.filter((event) => !events.includes(event));
  if (missing.length > 0) {
    return finding(
      context,
      'association',
      id,
      'NOTE',
      `${id} ${link} is AVAILABLE; automatic export of ${events.join(', ')} only ` +
        `(${missing.join(', ')} not exported)`,
    );
  }
  return finding(
    context,
    'association',
    id,
    'OK',
    `${id} ${link} is AVAILABLE; automatic export of NEW, CHANGED, DELETED`,
  );
}

/**
 * The finding of one association: by lifecycle (MISCONFIGURED, FAILED and DELETING are problems),
 * then, when it is AVAILABLE, by which events it exports automatically.
 */
function associationFindings(association: AssociationFacts, context: Context): Finding[] {
  const shown: Shown = {
    context,
    id: display(association.associationId, 40),
    link:
      `${display(association.fileSystemPath ?? '?', 60)} -> ` +
      `${display(association.dataRepositoryPath ?? '?', 80)}`,
  };
  return [lifecycleFinding(association, shown) ?? exportFinding(association, shown)];
}

export { associationFindings };
