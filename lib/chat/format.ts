import { sanitize, truncateEnd, truncateMiddle } from '../common/text.ts';

/*
 * The custom-notification format of Amazon Q Developer in chat applications (formerly AWS
 * Chatbot): what a message holds, its documented size limits, and the markdown hygiene of
 * untrusted text. The format and its limits: docs/operate.md#chat-alerts and
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html.
 */

/** The documented limits, in characters (JavaScript string length: never fewer than characters). */
const CHAT_LIMITS = {
  title: 250,
  description: 8000,
  /** Per next step. */
  nextStep: 350,
  /** Per keyword. */
  keyword: 75,
} as const;

/*
 * Our own bounds, where the page states none: few enough to read in a chat client, and far below
 * the 256 KB SNS message limit together.
 */
const OWN_LIMITS = {
  nextSteps: 5,
  keywords: 10,
  summary: 250,
  threadId: 128,
  eventType: 64,
  relatedResources: 10,
  relatedResource: 256,
  contextKeys: 10,
  contextValue: 256,
} as const;

/** One custom notification, as published to the chat topic. */
interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    /** Groups the messages of one (file system, class) window in one chat thread. */
    readonly threadId: string;
    /** The top-level line of a thread, and the push notification. */
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

// Characters that start a mention or a link in Slack (`<!here>`, `<@U…>`) or Microsoft Teams
// (`<at>`), or end a code span. They become look-alikes: the text is shown, never interpreted.
const LOOK_ALIKES: Readonly<Record<string, string>> = { '`': 'ˋ', '<': '‹', '>': '›' };
const ACTIVE = /[`<>]/g;

/**
 * Untrusted text (a path, an S3 key, a code, a message) as an inline code span: sanitised (no
 * control character, no line break, so no markdown block can start), shortened to `max`
 * characters keeping both ends, and with the characters that could end the span or start a
 * mention replaced by look-alikes. Inside a code span neither markdown, emoji codes nor
 * mentions are rendered.
 */
function code(text: string, max = 200): string {
  const clean = truncateMiddle(sanitize(text), max).replace(
    ACTIVE,
    (char) => LOOK_ALIKES[char] ?? char,
  );
  return clean.trim() === '' ? '`(empty)`' : `\`${clean}\``;
}

/**
 * Our own prose (hints, counts, class names), which may quote untrusted text already
 * sanitised: one line, no mention or link syntax, shortened from the end.
 */
function prose(text: string, max: number): string {
  const clean = sanitize(text).replace(ACTIVE, (char) => LOOK_ALIKES[char] ?? char);
  return truncateEnd(clean, max);
}

/** A plain value for metadata (no markdown there): sanitised and shortened. */
function plain(text: string, max: number): string {
  return truncateMiddle(sanitize(text), max);
}

/**
 * Joins whole blocks (lines or list items) while they fit in `max` characters; the blocks left
 * out are counted in a last "… N more" line. A block is never cut, so no markdown construct
 * (a code span, a bold run, a link) is ever left half open. `noun` names what was left out.
 */
function fitBlocks(blocks: readonly string[], max: number, noun = 'more lines'): string {
  const whole = blocks.join('\n');
  if (whole.length <= max) return whole;
  const kept: string[] = [];
  let length = 0;
  for (let index = 0; index < blocks.length; index++) {
    const block = blocks[index] ?? '';
    const rest = blocks.length - index - 1;
    const added = (kept.length > 0 ? 1 : 0) + block.length;
    // Room for the note is kept unless this is the last block.
    const note = rest > 0 ? moreNote(rest, noun).length + 1 : 0;
    if (length + added + note > max) {
      const left = blocks.length - index;
      return [...kept, moreNote(left, noun)].join('\n');
    }
    kept.push(block);
    length += added;
  }
  return kept.join('\n');
}

function moreNote(count: number, noun: string): string {
  return `_… ${count} ${noun} (see the email)_`;
}

/** Keeps the items that fit `perItem` whole, at most `count` of them. */
function fitItems(items: readonly string[], perItem: number, count: number): string[] {
  return items.filter((item) => item.length > 0 && item.length <= perItem).slice(0, count);
}

/** A thread id of safe characters: `fea-` and the parts, each reduced to [A-Za-z0-9.-]. */
function threadIdOf(parts: readonly string[]): string {
  const id = ['fea', ...parts.map((part) => part.replace(/[^A-Za-z0-9.-]+/g, '-'))].join('_');
  return id.slice(0, OWN_LIMITS.threadId);
}

/** The UTC day of an epoch-seconds time, the window a thread spans: `2026-12-07`. */
function dayOf(epochSeconds: number): string {
  const date = new Date(Number.isFinite(epochSeconds) ? epochSeconds * 1000 : 0);
  return Number.isNaN(date.getTime()) ? '1970-01-01' : date.toISOString().slice(0, 10);
}

interface NotificationInput {
  readonly title: string;
  readonly blocks: readonly string[];
  readonly moreNoun?: string;
  readonly nextSteps: readonly string[];
  readonly keywords: readonly string[];
  readonly threadId: string;
  readonly summary: string;
  readonly eventType: string;
  readonly relatedResources: readonly string[];
  readonly additionalContext: Readonly<Record<string, string>>;
}

/**
 * Assembles a notification within every limit: the description from whole blocks, each list
 * shortened to whole items, metadata values sanitised and bounded.
 */
function notification(input: NotificationInput): ChatNotification {
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.additionalContext).slice(
    0,
    OWN_LIMITS.contextKeys,
  )) {
    if (value !== '') context[key] = plain(value, OWN_LIMITS.contextValue);
  }
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      // The title's untrusted parts are bounded code spans; a title that is still too long loses
      // its end, which is our own prose.
      title: fitTitle(input.title),
      description: fitBlocks(input.blocks, CHAT_LIMITS.description, input.moreNoun),
      nextSteps: fitItems(input.nextSteps, CHAT_LIMITS.nextStep, OWN_LIMITS.nextSteps),
      keywords: [
        ...new Set(input.keywords.map((keyword) => plain(keyword, CHAT_LIMITS.keyword))),
      ].slice(0, OWN_LIMITS.keywords),
    },
    metadata: {
      threadId: input.threadId.slice(0, OWN_LIMITS.threadId),
      summary: plain(input.summary, OWN_LIMITS.summary),
      eventType: input.eventType.slice(0, OWN_LIMITS.eventType),
      relatedResources: [
        ...new Set(input.relatedResources.map((item) => plain(item, OWN_LIMITS.relatedResource))),
      ].slice(0, OWN_LIMITS.relatedResources),
      additionalContext: context,
    },
  };
}

/** A title within its limit; if too long, cut before the last whole code span that fits. */
function fitTitle(title: string): string {
  if (title.length <= CHAT_LIMITS.title) return title;
  let cut = CHAT_LIMITS.title - 1;
  // An odd number of backticks before the cut means the cut is inside a code span.
  while (cut > 0 && (title.slice(0, cut).match(/`/g)?.length ?? 0) % 2 === 1) cut--;
  return `${title.slice(0, cut).trimEnd()}…`;
}

/** The message as published: compact JSON. */
function chatJson(message: ChatNotification): string {
  return JSON.stringify(message);
}

export type { ChatNotification, NotificationInput };
export {
  CHAT_LIMITS,
  chatJson,
  code,
  dayOf,
  fitBlocks,
  fitTitle,
  notification,
  OWN_LIMITS,
  plain,
  prose,
  threadIdOf,
};
