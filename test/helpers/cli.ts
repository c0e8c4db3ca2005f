import type { Io } from '../../cli/common.ts';

/*
 * What the in-process CLI tests share: a fake Io that records what a command prints (and, for
 * `reexport`, what it asks).
 */

/** An {@link Io} that keeps stdout, stderr and the questions asked. */
interface FakeIo extends Io {
  readonly out: string[];
  readonly err: string[];
  readonly questions: string[];
}

interface FakeIoOptions {
  readonly env?: Io['env'];
  readonly stderrIsTTY?: boolean;
  /** Makes stdin a terminal on which the person gives this answer to every question. */
  readonly answer?: string;
}

/** A fake Io: no terminal, empty stdin and environment unless `options` says otherwise. */
function fakeIo(options: FakeIoOptions = {}): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const questions: string[] = [];
  const { answer } = options;
  return {
    out,
    err,
    questions,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readStdin: async () => '',
    isTTY: false,
    env: options.env ?? {},
    stderrIsTTY: options.stderrIsTTY ?? false,
    stdinIsTTY: answer !== undefined,
    ...(answer === undefined
      ? {}
      : {
          prompt: async (question: string) => {
            questions.push(question);
            return answer;
          },
        }),
  };
}

export type { FakeIo };
export { fakeIo };
