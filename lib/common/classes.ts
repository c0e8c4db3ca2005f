import type { FailureClass } from './types.ts';

/*
 * The eight failure classes as every part of the analyzer sees them: their order of severity,
 * what each means, which are re-exported and which a person must act on. Which code falls into
 * which class is the catalog's business (lib/analyze/classify.ts, docs/fsx-facts.md#error-tables).
 */

/**
 * Classes in order of severity, most severe first: what needs a person before what heals itself.
 * Used for the `mostSevereClass` message attribute and the order of summary sections.
 */
const CLASS_ORDER = [
  'permission',
  'limit',
  'report',
  'unknown',
  'transient',
  'busy',
  'import',
  'skipped',
] as const satisfies readonly FailureClass[];

/**
 * What each class means and does. `retry` is an allow-list: only these classes are ever
 * re-exported, and `unknown` is deliberately not among them.
 */
const CLASS_INFO = {
  transient: { retry: true, title: 'Internal errors (re-exported)' },
  busy: { retry: true, title: 'Files busy while exporting (re-exported after a delay)' },
  permission: { retry: false, title: 'Access denied: a person must fix permissions' },
  limit: { retry: false, title: 'S3 limits exceeded: a person must change the file' },
  skipped: { retry: false, title: 'Export skipped (warnings)' },
  report: { retry: false, title: 'Completion report failures' },
  import: { retry: false, title: 'Import and restore events (not retried)' },
  unknown: { retry: false, title: 'Unknown codes (shown, never retried)' },
} as const satisfies Record<FailureClass, { retry: boolean; title: string }>;

/** Classes a person has to act on: no retry can fix them. */
const PERSON_CLASSES: readonly FailureClass[] = ['permission', 'limit', 'report', 'unknown'];

/**
 * Classes FSx logs as warnings, not errors (the skipped exports, docs/design.md#classification):
 * counted and shown, but never counted as "failed" in a headline.
 */
const WARNING_CLASSES: readonly FailureClass[] = ['skipped'];

/** How many of the counted records are warnings (skipped exports), which a headline never calls failed. */
function warningCount(byClass: Readonly<Record<FailureClass, number>>): number {
  return WARNING_CLASSES.reduce((sum, cls) => sum + byClass[cls], 0);
}

/** Whether records of this class are re-exported. */
function isRetryable(cls: FailureClass): boolean {
  return CLASS_INFO[cls].retry;
}

/** Section title for a class, for summaries. */
function classTitle(cls: FailureClass): string {
  return CLASS_INFO[cls].title;
}

/** The most severe class in a set, or undefined for an empty set. */
function mostSevere(classes: Iterable<FailureClass>): FailureClass | undefined {
  const present = new Set(classes);
  return CLASS_ORDER.find((cls) => present.has(cls));
}

export {
  CLASS_ORDER,
  classTitle,
  isRetryable,
  mostSevere,
  PERSON_CLASSES,
  WARNING_CLASSES,
  warningCount,
};
