import { constants as bufferConstants } from 'node:buffer';
import { createReadStream, type Dirent } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { InputError } from '../lib/common/errors.ts';
import {
  type BatchSink,
  createLineReader,
  type Input,
  type InputContext,
  type LineReader,
  readInput,
} from '../lib/input/read.ts';
import { fileProblem, type Io, UsageError } from './common.ts';

/*
 * The files a command reads: `-` (standard input), files, and folders read recursively in a stable
 * order. A file is recognised by its bytes, never its name: gzip anywhere (a CloudWatch Logs
 * export to S3 synced to disk is `<prefix>/<task id>/<log stream>/000000.gz`), then the formats of
 * lib/input. A large or gzipped file is streamed, so a file of any size is read one line at a
 * time; a small plain one is read in one go.
 */

/** The marker object a CloudWatch Logs export task writes first; it holds no events. */
const EXPORT_MARKER = 'aws-logs-write-test';
/** An object of a CloudWatch Logs export to S3: `<log stream>/000000.gz`. */
const EXPORT_OBJECT = /^\d{6}\.gz$/;
/** A whole JSON document is held in memory to be parsed; beyond this, NDJSON is the way. */
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
/** Inputs from this size on are streamed and show progress on stderr; smaller ones read whole. */
const PROGRESS_FROM_BYTES = 8 * 1024 * 1024;
const MIB = 1024 * 1024;

/** One input of a command: a file, or standard input. */
interface Source {
  /** How the input is named in messages and line event ids. */
  readonly name: string;
  /** The file's path; undefined for standard input. */
  readonly path: string | undefined;
}

/** A source that could not even be listed (missing file, empty directory). */
interface BadSource {
  readonly name: string;
  readonly problem: string;
}

function byCodeUnits(a: string, b: string): number {
  // Code-unit order, not locale order: the same folder gives the same report everywhere.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every file below a folder, hidden ones and export markers left out, in code-unit order. */
async function filesBelow(folder: string): Promise<string[]> {
  const entries: Dirent[] = await readdir(folder, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => byCodeUnits(a.name, b.name))) {
    if (entry.name.startsWith('.') || entry.name === EXPORT_MARKER) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await filesBelow(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * Expands FILE arguments: `-` is standard input, a folder gives every file below it (recursively,
 * in code-unit order of their paths).
 */
async function expandSources(
  args: readonly string[],
  command: string,
  options: { readonly folders: boolean },
): Promise<Array<Source | BadSource>> {
  if (args.filter((arg) => arg === '-').length > 1) {
    throw new UsageError('"-" (standard input) may be given only once', command);
  }
  const sources: Array<Source | BadSource> = [];
  for (const arg of args) {
    if (arg === '-') {
      sources.push({ name: 'stdin', path: undefined });
      continue;
    }
    try {
      if (!(await stat(arg)).isDirectory()) {
        sources.push({ name: arg, path: arg });
        continue;
      }
      if (!options.folders) {
        sources.push({ name: arg, problem: 'is a directory' });
        continue;
      }
      const files = await filesBelow(arg);
      if (files.length === 0) sources.push({ name: arg, problem: 'has no files' });
      for (const file of files) sources.push({ name: file, path: file });
    } catch (error) {
      sources.push({ name: arg, problem: fileProblem(error) });
    }
  }
  return sources;
}

type ByteKind = 'gzip' | 'zip' | 'other';

/** What bytes are by their first four: gzip (`1f 8b`), a zip archive (`PK\3\4`), or other. */
function byteKind(head: Uint8Array): ByteKind {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && Buffer.from(head.subarray(0, 4)).toString('latin1') === 'PK\u0003\u0004')
    return 'zip';
  return 'other';
}

/**
 * What a file is by its first bytes, and its size: one open for both. A pipe, FIFO or character
 * device (`<(cmd)`, `/dev/stdin`) cannot seek: it is `stream`, sniffed as it is read.
 */
async function probe(
  path: string,
): Promise<{ kind: ByteKind; size: number } | { kind: 'stream'; stream: Readable }> {
  const handle = await open(path, 'r');
  let keep = false;
  try {
    const stats = await handle.stat();
    // Read from this very open: a FIFO opened a second time would wait for a second writer.
    keep = !stats.isFile();
    if (keep) return { kind: 'stream', stream: handle.createReadStream() };
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return { kind: byteKind(head.subarray(0, bytesRead)), size: stats.size };
  } finally {
    if (!keep) await handle.close();
  }
}

/**
 * The first bytes of a stream (up to four), put back so they are read again; `ended` when the
 * stream ended within them (it then has nothing more to give: `head` is all of it).
 */
async function sniff(stream: Readable): Promise<{ head: Buffer; ended: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  for (;;) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= 4) break;
      continue;
    }
    if (stream.readableEnded) {
      ended = true;
      break;
    }
    ended = await new Promise<boolean>((resolve, reject) => {
      const done = (end: boolean) => {
        stream.off('readable', onReadable).off('end', onEnd).off('error', reject);
        resolve(end);
      };
      const onReadable = () => done(false);
      const onEnd = () => done(true);
      stream.once('readable', onReadable).once('end', onEnd).once('error', reject);
    });
    if (ended) break;
  }
  const head = Buffer.concat(chunks);
  if (!ended && head.length > 0) stream.unshift(head);
  return { head, ended };
}

/** The log stream an export-to-S3 object names by its folder, unless the person named one. */
function contextFor(path: string, context: InputContext): InputContext {
  if (context.logStream !== undefined || !EXPORT_OBJECT.test(basename(path))) return context;
  return { ...context, logStream: basename(dirname(path)) };
}

/** Reports how far a large file has been read: live on a terminal, every 64 MiB otherwise. */
function progress(io: Io, name: string, total: number): (read: number) => void {
  if (total < PROGRESS_FROM_BYTES) return () => {};
  const live = io.stderrIsTTY === true;
  let shown = 0;
  let last = 0;
  return (read) => {
    const now = Date.now();
    const step = live ? now - last >= 250 : read - shown >= 64 * MIB;
    if (!step && read < total) return;
    shown = read;
    last = now;
    const text = `${name}: ${Math.round(read / MIB)} of ${Math.round(total / MIB)} MiB read`;
    io.stderr(live ? `\r${text}${read >= total ? '\n' : ''}` : `${text}\n`);
  };
}

/**
 * Reads one file: gunzipped when its bytes say gzip, parsed whole when it is one JSON document
 * (its first line opens an object or array), line by line otherwise. A plain file below
 * PROGRESS_FROM_BYTES is read in one go and split here; larger or gzipped ones are streamed.
 *
 * @throws InputError with a one-line message for an unreadable or unrecognised file.
 */
async function readFileInput(
  path: string,
  name: string,
  context: InputContext,
  io: Io,
  sink: BatchSink | undefined,
): Promise<Input> {
  let kind: ByteKind;
  let size: number;
  let raw: Readable | undefined;
  /** All of a pipe that ended within its first bytes. */
  let all: Buffer | undefined;
  try {
    const probed = await probe(path);
    if (probed.kind === 'stream') {
      // A pipe can be read once only: its first bytes are looked at, then put back.
      size = 0;
      raw = probed.stream;
      const { head, ended } = await sniff(raw);
      kind = byteKind(head);
      if (ended) {
        raw.destroy();
        raw = undefined;
        all = head;
      }
    } else ({ kind, size } = probed);
  } catch (error) {
    raw?.destroy();
    throw new InputError(fileProblem(error), { cause: error });
  }
  if (kind === 'zip') {
    raw?.destroy();
    throw new InputError('is a zip archive: unzip it and pass the folder instead');
  }
  const text = new TextReader(name, contextFor(path, context), sink);
  // Most inputs (a Lambda event, a page of filter-log-events) are small: one read, no stream.
  const whole = raw === undefined && kind === 'other' && size < PROGRESS_FROM_BYTES;
  if (!whole && all === undefined) raw ??= createReadStream(path);
  try {
    if (all !== undefined) {
      const bytes = kind === 'gzip' ? gunzipSync(all) : all;
      for (const line of splitLines(bytes.toString('utf8'))) text.line(line);
    } else if (raw === undefined) {
      for (const line of splitLines(await readFile(path, 'utf8'))) text.line(line);
    } else {
      const report = progress(io, name, size);
      let read = 0;
      raw.on('data', (chunk) => {
        read += chunk.length;
        report(read);
      });
      const stream: Readable = kind === 'gzip' ? raw.pipe(createGunzip()) : raw;
      // Loaded only here: most inputs are read whole.
      const { createInterface } = await import('node:readline');
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) text.line(line);
    }
    return text.finish();
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      kind === 'gzip' ? `is not a readable gzip file: ${fileProblem(error)}` : fileProblem(error),
      { cause: error },
    );
  } finally {
    raw?.destroy();
  }
}

/** Line breaks as node:readline takes them (with crlfDelay Infinity): CRLF, LF or a lone CR. */
const LINE_BREAK = /\r\n|\n|\r/;

/**
 * The lines of a text exactly as node:readline gives them for a stream of it: without their
 * breaks, and without an empty last line after a final break (a test checks both agree).
 */
function splitLines(text: string): string[] {
  const lines = text.split(LINE_BREAK);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether a file's first line opens a JSON document that spans lines (pretty-printed output). */
function opensDocument(firstLine: string): boolean {
  const first = firstLine.replace(/^\uFEFF/, '').trim();
  // A log line may start with "[" too (a bracketed time): an array must open at the line's end
  // or be complete on it.
  return /^[{[].*[{[]$|^[{[]$/.test(first) || (first.startsWith('[') && isJson(first));
}

/**
 * Reads a text line by line: one JSON document (a file of one line, or pretty-printed AWS CLI
 * output) is parsed whole; anything else goes line by line through the line reader.
 */
class TextReader {
  readonly #name: string;
  readonly #context: InputContext;
  readonly #reader: LineReader;
  /** Lines held until the second non-blank line tells a one-line file from a stream of lines. */
  readonly #held: string[] = [];
  #heldBytes = 0;
  #nonBlank = 0;
  #mode: 'undecided' | 'document' | 'lines' = 'undecided';

  constructor(name: string, context: InputContext, sink: BatchSink | undefined) {
    this.#name = name;
    this.#context = context;
    this.#reader = createLineReader(name, context, sink);
  }

  /** Takes the next line (without its break). */
  line(line: string): void {
    if (line.includes('\u0000')) throw new InputError('is not a text file (it contains NUL bytes)');
    if (this.#mode === 'lines') {
      this.#reader.line(line);
      return;
    }
    this.#held.push(line);
    this.#heldBytes += line.length + 1;
    if (this.#heldBytes > MAX_DOCUMENT_BYTES) {
      throw new InputError(
        `is a JSON document over ${MAX_DOCUMENT_BYTES / MIB} MiB: turn it into one document per line (jq -c) and read that`,
      );
    }
    if (this.#mode === 'document' || line.trim().length === 0) return;
    this.#nonBlank++;
    if (this.#nonBlank === 1) {
      if (opensDocument(line)) this.#mode = 'document';
      return;
    }
    this.#mode = 'lines';
    for (const earlier of this.#held) this.#reader.line(earlier);
    this.#held.length = 0;
  }

  /** What the text held, once every line was taken. */
  finish(): Input {
    if (this.#mode !== 'lines') return readInput(this.#held.join('\n'), this.#name, this.#context);
    return this.#reader.finish();
  }
}

/** The whole text of a source (a Lambda event file, raw lines to wrap); errors as InputError. */
async function readText(source: Source, io: Io): Promise<string> {
  if (source.path === undefined) return io.readStdin();
  try {
    return await readFile(source.path, 'utf8');
  } catch (error) {
    throw new InputError(fileProblem(error), { cause: error });
  }
}

/** Standard input whole, as text: gunzipped when its bytes say gzip, as a file would be. */
async function stdinText(io: Io): Promise<string> {
  if (io.readStdinBytes === undefined) return io.readStdin();
  const bytes = await io.readStdinBytes();
  const kind = byteKind(bytes.subarray(0, 4));
  if (kind === 'zip') {
    throw new InputError('is a zip archive: unzip it and pass the folder instead');
  }
  if (kind === 'other') return bytes.toString('utf8');
  try {
    // Read whole like any standard input; a string cannot be longer than this anyway.
    return gunzipSync(bytes, { maxOutputLength: bufferConstants.MAX_STRING_LENGTH }).toString(
      'utf8',
    );
  } catch (error) {
    throw new InputError(`is not a readable gzip file: ${fileProblem(error)}`, { cause: error });
  }
}

/**
 * Reads a source: standard input whole (it is what a person pipes), a file by
 * {@link readFileInput}. With a sink, a file of log lines hands its batches over while it is
 * read (a huge file is never held whole); the batches returned are the rest.
 */
async function readSource(
  source: Source,
  context: InputContext,
  io: Io,
  sink?: BatchSink,
): Promise<Input> {
  if (source.path === undefined) return readInput(await stdinText(io), source.name, context);
  return readFileInput(source.path, source.name, context, io, sink);
}

export type { BadSource, Source };
export { expandSources, readSource, readText, splitLines };
