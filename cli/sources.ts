import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { InputError } from '../lib/shared/errors.ts';
import { fileProblem, type Io, UsageError } from './common.ts';

/*
 * The inputs of the commands that read files (analyze, invoke, make-event): FILE arguments,
 * `-` for standard input, and for analyze the input files of a directory.
 */

/** Extensions `analyze DIR` reads; anything else in the directory is ignored. */
const INPUT_EXTENSIONS = ['.json', '.ndjson', '.log', '.txt'];

/** One input of a command: a file, or standard input. */
interface Source {
  /** How the input is named in messages and raw-line event ids. */
  readonly name: string;
  readonly read: () => Promise<string>;
}

/** A source that could not even be listed (missing file, empty directory). */
interface BadSource {
  readonly name: string;
  readonly problem: string;
}

function stdinSource(io: Io): Source {
  return { name: 'stdin', read: io.readStdin };
}

function fileSource(path: string): Source {
  return { name: path, read: () => readFile(path, 'utf8') };
}

/** Expands FILE arguments: `-` is stdin, a directory gives its input files sorted by name. */
async function expandSources(
  args: readonly string[],
  io: Io,
  command: string,
  allowDirectories: boolean,
): Promise<Array<Source | BadSource>> {
  if (args.filter((arg) => arg === '-').length > 1) {
    throw new UsageError('"-" (standard input) may be given only once', command);
  }
  const sources: Array<Source | BadSource> = [];
  for (const arg of args) {
    if (arg === '-') {
      sources.push(stdinSource(io));
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(arg)).isDirectory();
    } catch (error) {
      sources.push({ name: arg, problem: fileProblem(error) });
      continue;
    }
    if (!isDirectory) {
      sources.push(fileSource(arg));
      continue;
    }
    if (!allowDirectories) {
      sources.push({ name: arg, problem: 'is a directory' });
      continue;
    }
    let entries: Dirent[];
    try {
      entries = await readdir(arg, { withFileTypes: true });
    } catch (error) {
      sources.push({ name: arg, problem: fileProblem(error) });
      continue;
    }
    const names = entries
      .filter((entry) => !entry.isDirectory() && INPUT_EXTENSIONS.includes(extname(entry.name)))
      .map((entry) => entry.name)
      // Code-unit order, not locale order: the same directory gives the same report everywhere.
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (names.length === 0) {
      sources.push({ name: arg, problem: 'has no *.json, *.ndjson, *.log or *.txt files' });
      continue;
    }
    for (const name of names) sources.push(fileSource(join(arg, name)));
  }
  return sources;
}

/** Reads a source; a file-system error becomes an InputError (the caller names the file). */
async function readSource(source: Source): Promise<string> {
  try {
    return await source.read();
  } catch (error) {
    throw new InputError(fileProblem(error), { cause: error });
  }
}

export { expandSources, fileSource, readSource, stdinSource };
