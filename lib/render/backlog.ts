import { display } from '../common/text.ts';
import type { BacklogFacts, BacklogReadings, Checked } from '../common/types.ts';
import { formatTable, wrap } from './layout.ts';

/*
 * How every output words the automatic-export backlog (FSx's AgeOfOldestQueuedMessage,
 * docs/fsx-facts.md#export-backlog): the doctor's findings, and the one small section of the
 * summary and digest emails. A backlog that could not be read is said to be unknown, never zero.
 */

/** At most this many file systems in an email's backlog section; the rest are counted. */
const MAX_BACKLOG_ROWS = 20;

/** "42 s", "7 min", "2 h 05 min", "3 d 04 h": a backlog age for a person. */
function ageText(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return minutes % 60 === 0
      ? `${hours} h`
      : `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  }
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${String(hours % 24).padStart(2, '0')} h`;
}

/** "2026-11-25 10:04 UTC" for a data point's time. */
function pointTime(at: number): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime())
    ? 'unknown time'
    : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** One reading in a table cell: the age, "no data", or "unknown". */
function backlogCell(reading: Checked<BacklogFacts> | undefined): string {
  if (reading === undefined || !reading.ok) return 'unknown';
  return reading.value.ageSeconds === undefined ? 'no data' : ageText(reading.value.ageSeconds);
}

/**
 * The emails' EXPORT BACKLOG lines for `fileSystemIds` (in that order): a table of file system
 * and oldest change not yet exported, then what "no data" and "unknown" mean when they occur.
 * `readings` undefined: the backlog was not read at all (every row unknown). Empty without ids.
 */
function backlogLines(
  fileSystemIds: readonly string[],
  readings: BacklogReadings | undefined,
  thresholdSeconds?: number,
): string[] {
  const ids = [...new Set(fileSystemIds)];
  if (ids.length === 0) return [];
  const shown = ids.slice(0, MAX_BACKLOG_ROWS);
  const rows = shown.map((id) => {
    const reading = readings?.get(id);
    const old =
      thresholdSeconds !== undefined &&
      reading?.ok === true &&
      reading.value.ageSeconds !== undefined &&
      reading.value.ageSeconds >= thresholdSeconds;
    return [display(id, 40), `${backlogCell(reading)}${old ? ' (behind)' : ''}`];
  });
  const lines = formatTable(['File system', 'Oldest change not yet exported'], rows);
  if (ids.length > shown.length) {
    lines.push(`  and ${ids.length - shown.length} more file systems`);
  }
  const cells = rows.map((row) => row[1] ?? '');
  if (cells.some((cell) => cell === 'no data')) {
    lines.push(
      ...wrap(
        '"no data": FSx published no backlog age in the last 15 minutes (no automatic export on it, or CloudWatch is late).',
      ),
    );
  }
  const failed = shown
    .map((id) => readings?.get(id))
    .find(
      (reading): reading is Extract<Checked<BacklogFacts>, { ok: false }> => reading?.ok === false,
    );
  if (cells.some((cell) => cell === 'unknown')) {
    const why = failed === undefined ? 'it was not read' : display(failed.reason, 120);
    const grant = failed?.denied === true ? `; grant ${failed.permission} to read it` : '';
    lines.push(...wrap(`"unknown": the backlog could not be read (${why}${grant}).`));
  }
  return lines;
}

export { ageText, backlogCell, backlogLines, pointTime };
