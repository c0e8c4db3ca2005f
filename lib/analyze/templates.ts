import { CATALOG, type CatalogEntry } from './classify.ts';

/*
 * The documented FSx message texts (both error-table versions, docs/fsx-facts.md#error-tables),
 * compiled once to regular expressions that capture their variable parts, and matched against a
 * message in linear time: the texts are tried only where a documented text can start, and a long
 * line is cut before matching.
 */

const TEMPLATE_HINT = /failed to|export skipped|automatic export/i;
const TEMPLATE_SCAN_LIMIT = 8_192;
const SLOW_PATH_LIMIT = 2_048;

interface CompiledTemplate {
  readonly entry: CatalogEntry;
  /** The opening words, lower case: where a documented text starts. */
  readonly head: string;
  /** The longest literal part, lower case: present in any text the template can match. */
  readonly anchor: string;
  readonly pattern: RegExp;
  /** The same pattern, sticky: tried only at the position where a documented text starts. */
  readonly sticky: RegExp;
}

const BUCKET_GROUP = '(?<bucket>[A-Za-z0-9][A-Za-z0-9._-]{0,253}[A-Za-z0-9])';

/** Turns a documented message text into a regular expression that captures its variable parts. */
function compileTemplate(entry: CatalogEntry, template: string): CompiledTemplate {
  const parts = template.replace(/\.$/, '').split(/(\{key\}|\{bucket\}|\{value\})/);
  let source = '';
  parts.forEach((part, index) => {
    const last = index === parts.length - 1 || (index === parts.length - 2 && parts.at(-1) === '');
    // Bounded groups: S3 keys are at most 1,024 bytes and report paths 4,357 characters, and an
    // unbounded lazy group makes a long line of repeated openings cost quadratic time.
    if (part === '{bucket}') source += BUCKET_GROUP;
    else if (part === '{key}') source += last ? '(?<key>\\S{1,1024})' : '(?<key>.{1,1024}?)';
    else if (part === '{value}') source += last ? '(?<value>\\S{1,4400})' : '(?<value>.{1,4400}?)';
    else source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+');
  });
  // The longest literal part is checked with `includes` first: far cheaper than the regex.
  const anchor = parts
    .filter((part) => !part.startsWith('{'))
    .reduce((a, b) => (b.length > a.length ? b : a), '')
    .toLowerCase();
  const head = (parts[0] ?? '').toLowerCase();
  return {
    entry,
    head,
    anchor,
    pattern: new RegExp(`${source}\\.?`, 'is'),
    sticky: new RegExp(`${source}\\.?`, 'iys'),
  };
}

// Most literal text first: a template that is a prefix of another ("…report into {bucket}" and
// "…report into bucket {bucket} because…") must not shadow the longer, more specific one.
const TEMPLATES: readonly CompiledTemplate[] = CATALOG.flatMap((entry) =>
  entry.templates.map((template) => ({
    compiled: compileTemplate(entry, template),
    literal: template.replace(/\{(?:key|bucket|value)\}/g, '').length,
  })),
)
  .sort((a, b) => b.literal - a.literal)
  .map(({ compiled }) => compiled);

/** Entries whose message text names an S3 key or a bucket: the text can add those fields. */
const TEXT_NAMES_KEY = new Set(CATALOG.filter((e) => e.templates.some((t) => t.includes('{key}'))));
const TEXT_NAMES_BUCKET = new Set(
  CATALOG.filter((e) => e.templates.some((t) => t.includes('{bucket}'))),
);

interface TemplateMatch {
  readonly entry: CatalogEntry;
  /** Where the documented text starts in the message. */
  readonly start: number;
  readonly key: string | undefined;
  readonly bucket: string | undefined;
}

/** Matches a message against every documented template; undefined when none fits. */
function matchTemplate(message: string): TemplateMatch | undefined {
  // A documented message is a few hundred characters plus a key of at most 1,024 bytes: reading
  // further only gives hostile input more room to cost time.
  const text =
    message.length > TEMPLATE_SCAN_LIMIT ? message.slice(0, TEMPLATE_SCAN_LIMIT) : message;
  const hint = TEMPLATE_HINT.exec(text);
  if (hint === null) return undefined;
  const lower = text.toLowerCase();
  // Fast path: a documented text begins where the hint was found, so only the templates that
  // open with the words found there are tried, and only at that position.
  for (const template of TEMPLATES) {
    if (!lower.startsWith(template.head, hint.index)) continue;
    template.sticky.lastIndex = hint.index;
    const match = applyTemplate(template.sticky, template.entry, text);
    if (match !== undefined) return match;
  }
  // Slow path, for unusual spacing or a hint word earlier in a prefix; only for lines of
  // documented length, where a search from every position stays cheap.
  if (text.length > SLOW_PATH_LIMIT) return undefined;
  for (const template of TEMPLATES) {
    if (!lower.includes(template.anchor)) continue;
    const match = applyTemplate(template.pattern, template.entry, text);
    if (match !== undefined) return match;
  }
  return undefined;
}

function applyTemplate(
  pattern: RegExp,
  entry: CatalogEntry,
  text: string,
): TemplateMatch | undefined {
  const match = pattern.exec(text);
  if (match === null) return undefined;
  const key = match.groups?.['key'];
  return { entry, start: match.index, key: key?.trim(), bucket: match.groups?.['bucket'] };
}

export type { TemplateMatch };
export { matchTemplate, TEXT_NAMES_BUCKET, TEXT_NAMES_KEY };
