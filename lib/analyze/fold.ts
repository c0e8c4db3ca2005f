import { detach, plainRecord, sourceOf } from '../common/records.ts';
import type {
  Association,
  FailureClass,
  FailureRecord,
  LogBatch,
  Report,
  Source,
  UnparseableEvent,
  Unplanned,
  UnplannedGroup,
} from '../common/types.ts';
import { knownAccount, type Place, PlaceTally } from '../render/places.ts';
import { forgetTexts, parseEvent } from './parse.ts';
import { leftOutNote, type PipelineOptions, plannedOutcome } from './pipeline.ts';
import { isPlanned, Planner, type PlanOptions } from './plan.ts';
import { shownTarget, TotalsBuilder } from './totals.ts';

/*
 * `analyze` on an input too large to hold (docs/cli.md#large-inputs): each batch is parsed,
 * counted and planned as it arrives, then dropped. What stays grows with the distinct paths to
 * re-export and the distinct codes, file systems and streams, not with the number of events: the
 * totals every output reads, the plan's candidates, and the first records, unparseable events and
 * unplanned items, kept for the lists of the JSON output.
 */

/** How much of each list a folded report keeps. */
interface FoldLimits {
  /** Records and unparseable events kept for the JSON output's lists. */
  readonly maxListed: number;
  /** Event ids kept in tasks in all (see PlannerLimits). */
  readonly maxEventIds: number;
}

const DEFAULT_LIMITS: FoldLimits = { maxListed: 1000, maxEventIds: 100_000 };

/** A copy of an event or record whose strings keep no input line alive. */
function kept<T extends object>(item: T): T {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    copy[key] = typeof value === 'string' ? detach(value) : value;
  }
  return copy as T;
}

type UnplannedEntry = { readonly place: Place; readonly sample: string };

/** Folds batches into one report; only for a dry run (`analyze`), which starts nothing. */
class ReportFold {
  readonly #options: PipelineOptions;
  readonly #limits: FoldLimits;
  readonly #totals = new TotalsBuilder(detach);
  readonly #records: FailureRecord[] = [];
  readonly #unparseable: UnparseableEvent[] = [];
  readonly #sources = new Map<string, Source>();
  readonly #associations = new Map<string, readonly Association[]>();
  readonly #associationsLeftOut = new Map<string, string>();
  readonly #unplanned = new Map<string, { count: number; places: PlaceTally<UnplannedEntry> }>();
  /** Unplanned records per class: the class table says which classes hold them, and how many. */
  readonly #unplannedByClass: Partial<Record<FailureClass, number>> = {};
  readonly #planner: Planner;
  readonly #planOptions: PlanOptions;
  #events = 0;

  constructor(options: PipelineOptions, limits: FoldLimits = DEFAULT_LIMITS) {
    if (!options.dryRun) throw new Error('a folded report is a dry run: it starts no task');
    this.#options = options;
    this.#limits = limits;
    this.#planOptions = {
      maxPathsPerTask: options.maxPathsPerTask,
      busyDelaySeconds: options.busyDelaySeconds,
      reportPath: options.reportPath,
      associations: this.#associations,
      // Read from a file, not from FSx: nothing can fail to be read.
      associationErrors: new Map(),
      associationsLeftOut: this.#associationsLeftOut,
    };
    this.#planner = new Planner(this.#planOptions, {
      maxEventIds: limits.maxEventIds,
      maxListed: limits.maxListed,
      onUnplanned: (item, record) => this.#addUnplanned(item, record),
    });
  }

  #addUnplanned(item: Unplanned, record: FailureRecord): void {
    this.#unplannedByClass[item.class] = (this.#unplannedByClass[item.class] ?? 0) + 1;
    let group = this.#unplanned.get(item.reason);
    if (group === undefined) {
      group = {
        count: 0,
        places: new PlaceTally<UnplannedEntry>({
          fileSystemId: (entry) => entry.place.fileSystemId,
          account: (entry) => entry.place.account,
          sample: (entry) => entry.sample,
        }),
      };
      this.#unplanned.set(detach(item.reason), group);
    }
    group.count++;
    const target = shownTarget(record);
    group.places.add({
      place: { fileSystemId: item.fileSystemId, account: knownAccount(record.owner) },
      sample: target ?? `(no path; event ${item.eventId})`,
    });
  }

  /**
   * The associations of a record's file system, read from `--associations` the first time a
   * record needs them (as processBatches reads those of every file system that needs them).
   */
  #needAssociations(record: FailureRecord): void {
    const known = this.#options.knownAssociations;
    const fileSystemId = record.fileSystemId;
    if (known === undefined || fileSystemId === undefined || !isPlanned(record.class, undefined)) {
      return;
    }
    if (this.#options.reportPath !== undefined && record.path !== undefined) return;
    if (this.#associations.has(fileSystemId) || this.#associationsLeftOut.has(fileSystemId)) return;
    const found = known.byFileSystem.get(fileSystemId);
    const id = detach(fileSystemId);
    if (found !== undefined) this.#associations.set(id, found);
    else this.#associationsLeftOut.set(id, leftOutNote(id, known.source));
  }

  /** Parses, counts and plans one batch; the batch can be dropped afterwards. */
  add(batch: LogBatch): void {
    const key = `${batch.owner}\u0000${batch.logGroup}\u0000${batch.logStream}`;
    const source = this.#sources.get(key);
    if (source === undefined) {
      this.#sources.set(detach(key), sourceOf(batch, detach));
    } else {
      // A log group that any batch named is known, whichever batch came first (as uniqueSources).
      const assumed = source.logGroupAssumed === true && batch.logGroupAssumed === true;
      this.#sources.set(key, {
        owner: source.owner,
        logGroup: source.logGroup,
        ...(assumed ? { logGroupAssumed: true } : {}),
        logStream: source.logStream,
        events: source.events + batch.events.length,
      });
    }
    this.#events += batch.events.length;
    for (const event of batch.events) {
      const parsed = parseEvent(event, batch);
      if (parsed.kind === 'unparseable') {
        this.#totals.addUnparseable(parsed);
        if (this.#unparseable.length < this.#limits.maxListed) this.#unparseable.push(kept(parsed));
        continue;
      }
      this.#totals.addRecord(parsed);
      if (this.#records.length < this.#limits.maxListed)
        this.#records.push(kept(plainRecord(parsed)));
      this.#needAssociations(parsed);
      this.#planner.add(parsed);
    }
    forgetTexts();
  }

  /** The report of every batch added. */
  report(skippedMessages: number): Report {
    const now = this.#options.now?.() ?? new Date();
    const totals = this.#totals.totals();
    const plan = this.#planner.plan();
    const counts = this.#planner.counts();
    const groups: UnplannedGroup[] = [...this.#unplanned]
      .map(([reason, group]) => ({ reason, count: group.count, places: group.places.groups() }))
      .sort((a, b) => b.count - a.count);
    return {
      generatedAt: now.toISOString(),
      region: this.#options.region,
      dryRun: true,
      sources: [...this.#sources.values()],
      skippedMessages,
      events: this.#events,
      records: this.#records,
      unparseable: this.#unparseable,
      plan,
      outcomes: plan.tasks.map((task) =>
        plannedOutcome(task, this.#options.knownAssociations, this.#associationsLeftOut),
      ),
      folded: {
        totals,
        unplanned: { count: counts.unplanned, byClass: { ...this.#unplannedByClass }, groups },
        awaitingMapping: counts.awaitingMapping,
        recordsOmitted: totals.records - this.#records.length,
        unparseableOmitted: totals.unparseable - this.#unparseable.length,
        eventIdsOmitted: counts.eventIdsOmitted,
      },
    };
  }
}

export type { FoldLimits };
export { ReportFold };
