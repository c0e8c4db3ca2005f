import { CATALOG, type CatalogEntry } from './classify.ts';

/*
 * The documented FSx message texts (both error-table versions, docs/fsx-facts.md#error-tables),
 * compiled once to regular expressions that capture their variable parts, and matched against a
 * message in linear time: the texts are tried only where a documented text can start, and a long
 * line is cut before matching.
 */

/** Words every documented text starts with one of (plain text, matched in any case). */
const HINT_WORDS = ['failed to', 'export skipped', 'automatic export'];
const TEMPLATE_HINT = new RegExp(HINT_WORDS.join('|'), 'i');
/** Length of the longest text TEMPLATE_HINT matches. */
const HINT_LONGEST = Math.max(...HINT_WORDS.map((word) => word.length));
const TEMPLATE_SCAN_LIMIT = 8_192;
const SLOW_PATH_LIMIT = 2_048;
/** Longest key a template captures: S3 keys are at most 1,024 bytes. */
const KEY_LIMIT = 1_024;

interface CompiledTemplate {
  readonly entry: CatalogEntry;
  /** The opening words, lower case: where a documented text starts. */
  readonly head: string;
  /** The longest literal part, lower case: present in any text the template can match. */
  readonly anchor: string;
  /**
   * The words of the literal parts after the head, lower case, longest first. Each must appear in
   * any text the template can match, so one missing word rules the template out without running
   * its regex (the import texts share a head and would otherwise try up to 9 failing regexes).
   */
  readonly words: readonly string[];
  readonly pattern: RegExp;
  /** The same pattern, sticky: tried only at the position where a documented text starts. */
  readonly sticky: RegExp;
  /** The documented text of a template with no variable part (no trailing period), else undefined. */
  readonly literal: string | undefined;
  /** Numbers of the groups that capture the key and the bucket; 0 when the text has none. */
  readonly keyGroup: number;
  readonly bucketGroup: number;
  /**
   * Whether the text is its head (ending in a space), then the key, then a literal part that
   * starts with a space: "Failed to import S3 object with key {key} in S3 bucket…".
   */
  readonly keyAfterHead: boolean;
}

const BUCKET_GROUP = '([A-Za-z0-9][A-Za-z0-9._-]{0,253}[A-Za-z0-9])';

/** Turns a documented message text into a regular expression that captures its variable parts. */
function compileTemplate(entry: CatalogEntry, template: string): CompiledTemplate {
  const parts = template.replace(/\.$/, '').split(/(\{key\}|\{bucket\}|\{value\})/);
  let source = '';
  // Numbered groups, not named ones: a match then builds no `groups` object.
  let groups = 0;
  let keyGroup = 0;
  let bucketGroup = 0;
  parts.forEach((part, index) => {
    const last = index === parts.length - 1 || (index === parts.length - 2 && parts.at(-1) === '');
    // Bounded groups: S3 keys are at most 1,024 bytes and report paths 4,357 characters, and an
    // unbounded lazy group makes a long line of repeated openings cost quadratic time.
    if (part === '{bucket}') {
      source += BUCKET_GROUP;
      bucketGroup = ++groups;
    } else if (part === '{key}') {
      source += last ? `(\\S{1,${KEY_LIMIT}})` : `(.{1,${KEY_LIMIT}}?)`;
      keyGroup = ++groups;
    } else if (part === '{value}') {
      source += last ? '(\\S{1,4400})' : '(.{1,4400}?)';
      groups++;
    } else source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+');
  });
  // The longest literal part is checked with `includes` first: far cheaper than the regex.
  const anchor = parts
    .filter((part) => !part.startsWith('{'))
    .reduce((a, b) => (b.length > a.length ? b : a), '')
    .toLowerCase();
  const head = (parts[0] ?? '').toLowerCase();
  const words = new Set<string>();
  parts.forEach((part, index) => {
    if (index === 0 || part.startsWith('{')) return;
    for (const word of part.toLowerCase().split(' ')) if (word.length > 2) words.add(word);
  });
  return {
    entry,
    head,
    anchor,
    words: [...words],
    pattern: new RegExp(`${source}\\.?`, 'is'),
    sticky: new RegExp(`${source}\\.?`, 'iys'),
    literal: parts.length === 1 ? parts[0] : undefined,
    keyGroup,
    bucketGroup,
    keyAfterHead: parts[1] === '{key}' && head.endsWith(' ') && (parts[2] ?? '').startsWith(' '),
  };
}

// Most literal text first: a template that is a prefix of another ("…report into {bucket}" and
// "…report into bucket {bucket} because…") must not shadow the longer, more specific one.
const COMPILED: readonly CompiledTemplate[] = CATALOG.flatMap((entry) =>
  entry.templates.map((template) => ({
    compiled: compileTemplate(entry, template),
    literal: template.replace(/\{(?:key|bucket|value)\}/g, '').length,
  })),
)
  .sort((a, b) => b.literal - a.literal)
  .map(({ compiled }) => compiled);

// Each template's words, rarest among all templates first (then longest): the word that rules a
// sibling out is then usually the first one looked for. All must be present, so the order
// changes only the cost.
const WORD_USES = new Map<string, number>();
for (const template of COMPILED) {
  for (const word of template.words) WORD_USES.set(word, (WORD_USES.get(word) ?? 0) + 1);
}
const uses = (word: string): number => WORD_USES.get(word) ?? 0;
const TEMPLATES: readonly CompiledTemplate[] = COMPILED.map((template) => ({
  ...template,
  words: [...template.words].sort((a, b) => uses(a) - uses(b) || b.length - a.length),
}));

/**
 * Where the opening of a text (its first three words, from `from`) ends: at the third space, or
 * -1. Every head holds its three words and a space, so they index the templates.
 */
function openingEnd(lower: string, from: number): number {
  let end = from;
  for (let word = 0; word < 3; word++) {
    end = lower.indexOf(' ', end + 1);
    if (end < 0) return -1;
  }
  return end;
}

/**
 * A number for the opening `lower.slice(from, end)`, built from its length and two of its
 * characters: no string to cut and hash for every line. Distinct for the templates' openings
 * (checked below); another opening may share one, which is harmless: a head matches only where
 * its own opening is, so the heads of the group found then all fail.
 */
function openingKey(lower: string, from: number, end: number): number {
  const length = end - from;
  if (length > 0x1fff) return -1;
  const middle = lower.charCodeAt(from + (length > 10 ? 10 : length - 1)) & 0xff;
  return (length << 16) | (middle << 8) | (lower.charCodeAt(end - 1) & 0xff);
}

/**
 * Which of a few words a text holds, found in one search rather than one `includes` per word
 * (each costs ~40 ns on Node 24 however short the text).
 */
interface WordPresence {
  /** The words, longest first, as one global pattern. */
  readonly pattern: RegExp;
  /** Per word (in the order given): its bit. */
  readonly bits: ReadonlyMap<string, number>;
  /** Per word: its bit and those of the words it starts with, which are present where it is. */
  readonly found: ReadonlyMap<string, number>;
}

const MAX_PRESENCE_WORDS = 30;

/** A WordPresence for up to 30 distinct words, each at least one character long. */
function wordPresence(words: readonly string[]): WordPresence {
  const distinct = [...new Set(words)];
  if (distinct.length > MAX_PRESENCE_WORDS || distinct.includes('')) {
    throw new Error('a word presence takes 1 to 30 non-empty words');
  }
  const bits = new Map(distinct.map((word, index) => [word, 1 << index]));
  const found = new Map(
    distinct.map((word) => [
      word,
      distinct.reduce(
        (mask, other, index) => (word.startsWith(other) ? mask | (1 << index) : mask),
        0,
      ),
    ]),
  );
  const longestFirst = [...distinct].sort((a, b) => b.length - a.length);
  const source = longestFirst.map((word) => word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
  return { pattern: new RegExp(source, 'g'), bits, found };
}

/**
 * The bits (WordPresence.bits) of the words that `text` holds: exactly those for which
 * `text.includes(word)` is true. The search steps one character past each match, so that
 * overlapping words are met too; at one position it finds the longest word that starts there
 * (the pattern lists them longest first), and every word present there is a start of that one.
 */
function presentWords(presence: WordPresence, text: string): number {
  const pattern = presence.pattern;
  let mask = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    mask |= presence.found.get(match[0]) as number;
    pattern.lastIndex = match.index + 1;
  }
  return mask;
}

/** The templates that open with the same three words, in TEMPLATES' order. */
interface OpeningGroup {
  readonly opening: string;
  readonly templates: readonly CompiledTemplate[];
  /** The distinct heads of those templates (the import texts mostly share one). */
  readonly heads: readonly string[];
  /** For each template, the index of its head in `heads`. */
  readonly headOf: readonly number[];
  /**
   * Where several templates share a head (the import texts), their rarest words, looked for in
   * one search per line (presentWords); else undefined, and each is looked for on its own.
   */
  readonly presence: WordPresence | undefined;
  /** For each template, the bit of its rarest word in `presence` (0: it has none, or no presence). */
  readonly wordBit: readonly number[];
  /**
   * The head, when every template of the group has this one head with the key right after it
   * (keyAfterHead, the import texts): a line matched here then carries over to lines that differ
   * from it only in the key (see keyedLine). Undefined otherwise.
   */
  readonly keyHead: string | undefined;
}

/**
 * Templates of one head, each with a rarest word, from which one search for all the words costs
 * less than an `includes` per template (one search costs about three).
 */
const PRESENCE_FROM = 4;

/** The group of the templates that open with `opening` (in TEMPLATES' order), built once. */
function openingGroup(opening: string, templates: readonly CompiledTemplate[]): OpeningGroup {
  const heads: string[] = [];
  const headOf = templates.map((template) => {
    const head = heads.indexOf(template.head);
    return head < 0 ? heads.push(template.head) - 1 : head;
  });
  // Heads checked and matched are kept as bits of a number.
  if (heads.length > 30) throw new Error('too many template heads share an opening');
  const worded = heads.map(
    (_, head) => templates.filter((t, i) => headOf[i] === head && t.words[0] !== undefined).length,
  );
  const presence =
    Math.max(...worded) < PRESENCE_FROM
      ? undefined
      : wordPresence(templates.flatMap((template) => template.words.slice(0, 1)));
  const wordBit = templates.map((template) => {
    const word = template.words[0];
    return presence === undefined || word === undefined ? 0 : (presence.bits.get(word) as number);
  });
  // A head longer than any hint: a hint found before it in a line would lie in the line's prefix.
  const keyHead =
    heads.length === 1 &&
    (heads[0] as string).length > HINT_LONGEST &&
    templates.every((template) => template.keyAfterHead)
      ? heads[0]
      : undefined;
  return { opening, templates, heads, headOf, presence, wordBit, keyHead };
}

/**
 * The templates by their opening words: the fast path then tries only the few whose head can
 * start where the hint was found, not all ~30, and compares each distinct head once.
 */
function groupByOpening(templates: readonly CompiledTemplate[]): Map<number, OpeningGroup> {
  const byKey = new Map<number, { opening: string; templates: CompiledTemplate[] }>();
  for (const template of templates) {
    const end = openingEnd(template.head, 0);
    if (end < 0) throw new Error(`template head too short to index: ${template.head}`);
    const opening = template.head.slice(0, end);
    const key = openingKey(template.head, 0, end);
    const found = byKey.get(key);
    if (found === undefined) {
      byKey.set(key, { opening, templates: [template] });
    } else if (found.opening !== opening) {
      throw new Error(`template openings share an index: ${opening}, ${found.opening}`);
    } else {
      found.templates.push(template);
    }
  }
  const groups = new Map<number, OpeningGroup>();
  for (const [key, found] of byKey) groups.set(key, openingGroup(found.opening, found.templates));
  return groups;
}

const BY_OPENING = groupByOpening(TEMPLATES);

/** True when every fixed word of the template is somewhere in the (lower-case) text. */
function hasWords(template: CompiledTemplate, lower: string): boolean {
  for (const word of template.words) if (!lower.includes(word)) return false;
  return true;
}

/**
 * Whether the rarest word of the template is in the (lower-case) text: what the fast path looks
 * for before it runs the regex. That word rules out the siblings that share a head; looking for
 * every word would cost the matching template more than its regex, which needs them all anyway
 * (so checking fewer changes nothing but the cost).
 */
function hasRarestWord(template: CompiledTemplate, lower: string): boolean {
  const word = template.words[0];
  return word === undefined || lower.includes(word);
}

/** Entries whose message text names an S3 key or a bucket: the text can add those fields. */
const TEXT_NAMES_KEY = new Set(CATALOG.filter((e) => e.templates.some((t) => t.includes('{key}'))));
const TEXT_NAMES_BUCKET = new Set(
  CATALOG.filter((e) => e.templates.some((t) => t.includes('{bucket}'))),
);

interface TemplateMatch {
  readonly entry: CatalogEntry;
  /** Where the documented text starts in the message. */
  readonly start: number;
  /** Where it ends: the index just past its last character. */
  readonly end: number;
  readonly key: string | undefined;
  readonly bucket: string | undefined;
  /**
   * The group's keyHead when the match may carry over to lines that differ only in the key
   * (matched where the hint was found, in a group with one, the head spelt with single spaces;
   * see keyedLine), else undefined.
   */
  readonly keyHead: string | undefined;
}

/** Matches a message against every documented template; undefined when none fits. */
function matchTemplate(message: string): TemplateMatch | undefined {
  // A documented message is a few hundred characters plus a key of at most 1,024 bytes: reading
  // further only gives hostile input more room to cost time.
  const text =
    message.length > TEMPLATE_SCAN_LIMIT ? message.slice(0, TEMPLATE_SCAN_LIMIT) : message;
  // `search`, not `exec`: only where the hint is matters, and it then builds no match array.
  const from = text.search(TEMPLATE_HINT);
  if (from < 0) return undefined;
  const lower = text.toLowerCase();
  // Fast path: a documented text begins where the hint was found, so only the templates that
  // open with the words found there are tried, and only at that position. A template whose head
  // starts there is always in the group its opening words index (heads hold three words and a
  // space), so the index changes nothing but the cost.
  const end = openingEnd(lower, from);
  const group = end < 0 ? undefined : BY_OPENING.get(openingKey(lower, from, end));
  if (group !== undefined) {
    let checked = 0;
    let matched = 0;
    const presence = group.presence;
    // The rarest words the line holds, when the group looks for them together: found once,
    // when the first template needs it (-1 until then).
    let present = -1;
    for (let i = 0; i < group.templates.length; i++) {
      const template = group.templates[i] as CompiledTemplate;
      const bit = 1 << (group.headOf[i] as number);
      if ((checked & bit) === 0) {
        checked |= bit;
        // `indexOf` at `from` is `startsWith(head, from)`, and several times cheaper on V8.
        if (lower.indexOf(template.head, from) === from) matched |= bit;
      }
      if ((matched & bit) === 0) continue;
      if (presence === undefined) {
        if (!hasRarestWord(template, lower)) continue;
      } else {
        const wordBit = group.wordBit[i] as number;
        if (wordBit !== 0) {
          if (present < 0) present = presentWords(presence, lower);
          if ((present & wordBit) === 0) continue;
        }
      }
      // A text with no variable part, as documented (case included), needs no regex: the
      // pattern matches it where it starts, capturing nothing.
      if (template.literal !== undefined && text.indexOf(template.literal, from) === from) {
        return {
          entry: template.entry,
          start: from,
          end: from + template.literal.length,
          key: undefined,
          bucket: undefined,
          keyHead: undefined,
        };
      }
      template.sticky.lastIndex = from;
      // Where `lower` is as long as the text, a position in one is the same in the other
      // (toLowerCase changes the length only for U+0130, which it lengthens): the head checked in
      // `lower` is then spelt so in the text, as keyedLine needs.
      const keyHead = lower.length === text.length ? group.keyHead : undefined;
      const match = applyTemplate(template, template.sticky, text, keyHead);
      if (match !== undefined) return match;
    }
  }
  // Slow path, for unusual spacing or a hint word earlier in a prefix; only for lines of
  // documented length, where a search from every position stays cheap.
  if (text.length > SLOW_PATH_LIMIT) return undefined;
  for (const template of TEMPLATES) {
    if (!lower.includes(template.anchor) || !hasWords(template, lower)) continue;
    const match = applyTemplate(template, template.pattern, text, undefined);
    if (match !== undefined) return match;
  }
  return undefined;
}

function applyTemplate(
  template: CompiledTemplate,
  pattern: RegExp,
  text: string,
  keyHead: string | undefined,
): TemplateMatch | undefined {
  const match = pattern.exec(text);
  if (match === null) return undefined;
  const key = template.keyGroup === 0 ? undefined : match[template.keyGroup];
  const bucket = template.bucketGroup === 0 ? undefined : match[template.bucketGroup];
  return {
    entry: template.entry,
    start: match.index,
    end: match.index + match[0].length,
    key: key?.trim(),
    bucket,
    keyHead,
  };
}

const NEXT_SPACE = /\s/g;
/** Characters at each end of a suffix compared one by one before the whole suffix is. */
const END_CHECK = 8;

/**
 * Where the first whitespace (as `\s` means it) at or after `from` is, or -1. Printable ASCII
 * other than the space is never whitespace, so the usual key is stepped over without a regex.
 */
function wordEndOf(text: string, from: number): number {
  let index = from;
  for (; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code <= 32 || code >= 127) break;
  }
  if (text.charCodeAt(index) === 32) return index;
  NEXT_SPACE.lastIndex = index;
  return NEXT_SPACE.test(text) ? NEXT_SPACE.lastIndex - 1 : -1;
}

/**
 * A matched line and where the first word of its key is (up to whitespace, or the whole key):
 * what lines that differ from it only in that word are compared with (see keyedLine). The
 * strings around the word are cut only once a line of its length comes, so a line whose text
 * never comes again costs no more than this object.
 */
class KeyedLine {
  /**
   * What the line matched as, and its bucket: all of the match that holds for the other lines
   * keyOf accepts (their key, and so where their match ends, are their own).
   */
  readonly entry: CatalogEntry;
  readonly bucket: string | undefined;
  readonly #text: string;
  /** Where the key starts (its prefix ends) and its first word ends (its suffix starts). */
  readonly #at: number;
  readonly #wordEnd: number;
  /** How much of the key the suffix holds: the key less its first word. */
  readonly #keyRest: number;
  #prefix: string | undefined;
  #suffix: string | undefined;

  constructor(match: TemplateMatch, text: string, at: number, wordEnd: number, keyRest: number) {
    this.entry = match.entry;
    this.bucket = match.bucket;
    this.#text = text;
    this.#at = at;
    this.#wordEnd = wordEnd;
    this.#keyRest = keyRest;
  }

  /**
   * The key of `text` when it is this line with another first word of the key: it then matches
   * the template this line matched, with the same start and groups but this key. Undefined
   * otherwise.
   */
  keyOf(text: string): string | undefined {
    const line = this.#text;
    const at = this.#at;
    const end = text.length - (line.length - this.#wordEnd);
    if (end <= at || text.length - at > KEY_LIMIT || text.length > TEMPLATE_SCAN_LIMIT) {
      return undefined;
    }
    // The suffix's first and last characters first: lines of one text that differ elsewhere
    // than in the key's first word (the rest of a key with spaces, another bucket) mostly differ
    // there, and are turned away before any string is cut or searched.
    const wordEnd = this.#wordEnd;
    for (let index = 0; index < END_CHECK; index++) {
      if (text.charCodeAt(end + index) !== line.charCodeAt(wordEnd + index)) return undefined;
    }
    for (let back = 1; back <= END_CHECK; back++) {
      if (text.charCodeAt(text.length - back) !== line.charCodeAt(line.length - back)) {
        return undefined;
      }
    }
    this.#suffix ??= line.slice(wordEnd);
    this.#prefix ??= line.slice(0, at);
    // `indexOf` at a place rather than `startsWith` or `endsWith`: several times cheaper on V8
    // (the suffix can only be found at `end`; the prefix, when not at the start, costs a search).
    if (text.indexOf(this.#suffix, end) !== end || text.indexOf(this.#prefix) !== 0) {
      return undefined;
    }
    // The new word must hold no whitespace: the first at or after it is the suffix's first
    // character.
    if (wordEndOf(text, at) !== end) return undefined;
    return text.slice(at, end + this.#keyRest);
  }
}

/**
 * The line `text` (matched as `match`) as a KeyedLine, when every line that differs from it only
 * in its key's first word, `prefix + word + suffix`, matches as it did, with that word in place
 * of its own at the start of the key (KeyedLine's keyOf); else undefined. FSx writes one
 * documented text for many objects ("Failed to import S3 object with key … because it was not
 * found in S3 bucket …"), so such lines skip the matching.
 *
 * Why that is exact. It is asked only of a match where every template of the group is the same
 * head (ending in a space), the key, then a literal part that starts with a space
 * (OpeningGroup's keyHead), found where the hint is, with the head spelt with single spaces and
 * the key right after it, and with key plus suffix within KEY_LIMIT. A word holds no whitespace
 * and is followed by whitespace. The other line, `prefix + word + suffix`, has its hint at the
 * same place (it lies in the prefix, being shorter than the head), so the same group's templates
 * are tried there. Each of their patterns matches the prefix alike, starts its key group right
 * after it (one space before the key: the head's), and can end that group only at whitespace,
 * so only inside the suffix (the rest of the pattern starts with `\s+`); from there the rest of
 * the pattern reads the suffix alone, and the group stays within KEY_LIMIT. So each template
 * matches or fails as it did (the word filters only skip templates that fail), the first to
 * match is the same one, its key is the word and the same part of the suffix, and every other
 * group captures the same text of the suffix.
 */
function keyedLine(text: string, match: TemplateMatch): KeyedLine | undefined {
  const head = match.keyHead;
  const key = match.key;
  if (head === undefined || key === undefined) return undefined;
  const at = match.start + head.length;
  if (text.length > TEMPLATE_SCAN_LIMIT || text.length - at > KEY_LIMIT) return undefined;
  // The first whitespace from the key's start on ends its first word. None there (the word is
  // empty): the key starts later, after more whitespace. The head is spelt with single spaces
  // (TemplateMatch's keyHead), so the key starts here, and holds the word. END_CHECK characters
  // at least after the word: keyOf compares them one by one.
  const wordEnd = wordEndOf(text, at);
  const word = wordEnd - at;
  if (word <= 0 || word > key.length || text.length - wordEnd < END_CHECK) return undefined;
  return new KeyedLine(match, text, at, wordEnd, key.length - word);
}

export type { KeyedLine, TemplateMatch };
export { keyedLine, matchTemplate, presentWords, TEXT_NAMES_BUCKET, TEXT_NAMES_KEY, wordPresence };
