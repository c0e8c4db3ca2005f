import { display } from '../common/text.ts';
import type { AssociationFacts, BacklogFacts, Checked } from '../common/types.ts';
import { ageText, pointTime } from '../render/backlog.ts';
import { shellArg } from '../render/shell.ts';
import { type Context, type Finding, finding, MAX_VALUE, regionArg } from './finding.ts';

/*
 * The backlog check: how far automatic export is behind, from FSx's AgeOfOldestQueuedMessage
 * (Publisher AutoExport), the age of the oldest change not yet exported to S3
 * (docs/fsx-facts.md#export-backlog). Exports that keep failing and being retried, a burst of
 * small files faster than FSx exports them, or an S3 side that slows FSx down all show here first,
 * often before a single failure is logged.
 */

/** The default threshold: a backlog at least one hour old is a PROBLEM. */
const DEFAULT_BACKLOG_THRESHOLD_SECONDS = 3600;

/** Whether any association of the file system exports automatically (when they could be listed). */
function exportsAutomatically(
  associations: Checked<readonly AssociationFacts[]>,
): boolean | undefined {
  if (!associations.ok) return undefined;
  return associations.value.some((association) => association.exportEvents.length > 0);
}

/**
 * The backlog finding of one file system: PROBLEM at or past the threshold (with where to look),
 * OK below it, NOTE when FSx published nothing although an association exports automatically,
 * UNKNOWN ("backlog unknown") when CloudWatch could not be read. No finding when there is no
 * reading, or no data and nothing exported automatically.
 */
function backlogFindings(
  context: Context,
  reading: Checked<BacklogFacts> | undefined,
  associations: Checked<readonly AssociationFacts[]>,
  thresholdSeconds: number,
): Finding[] {
  if (reading === undefined) return [];
  const subject = context.fileSystemId;
  const limit = ageText(thresholdSeconds);
  if (!reading.ok) {
    const fix =
      reading.denied === true
        ? `Grant ${reading.permission} to the identity running doctor (it takes no resource ARN: Resource "*"), then run it again.`
        : 'Run doctor again; if this persists, the reason says why (a wrong endpoint, an outage).';
    return [
      finding(
        context,
        'backlog',
        subject,
        'UNKNOWN',
        `backlog unknown: could not read AgeOfOldestQueuedMessage: ${display(reading.reason, MAX_VALUE)} (needs ${reading.permission})`,
        fix,
      ),
    ];
  }
  const { ageSeconds, at } = reading.value;
  if (ageSeconds === undefined) {
    if (exportsAutomatically(associations) === false) return [];
    return [
      finding(
        context,
        'backlog',
        subject,
        'NOTE',
        'no export backlog data point in the last 15 minutes (FSx publishes it only while ' +
          'automatic export runs; new associations take a few minutes)',
      ),
    ];
  }
  const when = at === undefined ? '' : ` (at ${pointTime(at)})`;
  if (ageSeconds < thresholdSeconds) {
    return [
      finding(
        context,
        'backlog',
        subject,
        'OK',
        `automatic export keeps up: oldest change not yet exported is ${ageText(ageSeconds)} old${when}; threshold ${limit}`,
      ),
    ];
  }
  return [
    finding(
      context,
      'backlog',
      subject,
      'PROBLEM',
      `automatic export is behind: the oldest change not yet exported to S3 is ${ageText(ageSeconds)} old${when}, threshold ${limit}`,
      'Files written since then are not in S3 yet. Look for export failures that keep being ' +
        'retried (the first command: permission, KMS or throttling codes) and for an ' +
        'association that is not AVAILABLE (above). A burst of many small files drains on ' +
        'its own: watch the age fall (the second command). Data that must reach S3 now can ' +
        'be exported with a data repository task once automatic export has caught up.',
      [
        `fsx-export-analyzer scan --file-system-id ${shellArg(context.fileSystemId)} --since 6h${regionArg(context)}`,
        // Unix seconds, which the AWS CLI takes for a timestamp: `date +%s` and shell arithmetic
        // work with GNU date and with macOS's BSD date alike (GNU's `date -d` is not on macOS).
        `aws cloudwatch get-metric-data${regionArg(context)} --start-time "$(( $(date +%s) - 3 * 3600 ))" ` +
          `--end-time "$(date +%s)" --metric-data-queries ${shellArg(
            `[{"Id":"backlog","MetricStat":{"Metric":{"Namespace":"AWS/FSx","MetricName":"AgeOfOldestQueuedMessage","Dimensions":[{"Name":"FileSystemId","Value":"${context.fileSystemId}"},{"Name":"Publisher","Value":"AutoExport"}]},"Period":300,"Stat":"Maximum"}}]`,
          )}`,
      ],
    ),
  ];
}

export { backlogFindings, DEFAULT_BACKLOG_THRESHOLD_SECONDS };
