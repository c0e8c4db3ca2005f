import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ACTION_OF_COMMAND,
  CLI_ONLY_ADAPTERS,
  CLIENT_SERVICES,
  CODE_CALLS,
  type FunctionName,
  IMPORTED_WITHOUT_CALLS,
  ORGANIZATION_CALLS,
} from './calls.ts';
import { ROOT } from './osls.ts';

// The tables of test/infra/calls.ts against the code they describe, read as text: every command
// they name is constructed where they say, every command lib/aws/ constructs is in them, each
// function imports the adapters and clients they give it, and the ledger key prefixes are the
// ones the adapters write. stack.test.ts then compares the tables with the packaged roles.

const FUNCTION_NAMES = Object.keys(CODE_CALLS) as FunctionName[];

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** The command classes a file constructs: `new XxxCommand(`. */
function commandsIn(path: string): string[] {
  return [...read(path).matchAll(/\bnew (\w+Command)\(/g)].map((match) => String(match[1]));
}

/** The repository-relative modules a file imports from its relative imports. */
function importsOf(path: string): string[] {
  const directory = join(ROOT, path, '..');
  return [...read(path).matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((match) =>
    relative(ROOT, join(directory, String(match[1]))),
  );
}

/** The names a file imports from one module. */
function namesImported(path: string, module: string): string[] {
  const text = read(path);
  const pattern = new RegExp(`import \\{([^}]*)\\} from '\\.\\./${module.replace('.', '\\.')}'`);
  const list = pattern.exec(text)?.[1] ?? '';
  return list
    .split(',')
    .map((name) => name.trim().replace(/^type /, ''))
    .filter((name) => name.length > 0);
}

/** Every file under a directory, recursively, repository-relative. */
function filesUnder(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

describe('Calls: the table of SDK commands per function is the code', () => {
  it.each(FUNCTION_NAMES)('constructs every command of %s where the table says', (name) => {
    // Prepare
    const calls = CODE_CALLS[name];

    // Act
    const missing = calls.filter((call) => !commandsIn(call.source).includes(call.command));

    // Assess
    expect(calls.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it.each(FUNCTION_NAMES)(
    'names for %s the IAM action of each command, and a method its adapter has',
    (name) => {
      // Prepare
      const calls = CODE_CALLS[name];

      // Act
      const wrong = calls.filter((call) => {
        const [, actionName] = call.action.split(':');
        const expected = ACTION_OF_COMMAND[call.command] ?? call.command.replace(/Command$/, '');
        const hasMethod = new RegExp(`\\b${call.via}\\b`).test(read(call.adapter));
        const reaches =
          call.source === call.adapter ||
          importsOf(call.adapter).includes(call.source) ||
          read(call.adapter).includes('@aws-lambda-powertools/idempotency/dynamodb');
        return actionName !== expected || !hasMethod || !reaches;
      });

      // Assess
      expect(wrong).toEqual([]);
    },
  );

  it.each(FUNCTION_NAMES)(
    'gives %s exactly the adapters and SDK clients functions/<name>.ts imports',
    (name) => {
      // Prepare
      const handler = `functions/${name}.ts`;
      const exempt = Object.keys(IMPORTED_WITHOUT_CALLS[name] ?? {});

      // Act
      const sending = importsOf(handler).filter(
        (module) =>
          module.startsWith('lib/aws/') &&
          !exempt.includes(module) &&
          (commandsIn(module).length > 0 ||
            importsOf(module).some((helper) => commandsIn(helper).length > 0) ||
            read(module).includes('@aws-lambda-powertools/idempotency/dynamodb')),
      );
      // lib/aws/s3-client.ts: the S3 client, created at its first use (its code loads then).
      const services = [
        ...namesImported(handler, 'lib/aws/clients.ts'),
        ...namesImported(handler, 'lib/aws/s3-client.ts'),
      ].map((client) => CLIENT_SERVICES[client]);

      // Assess
      expect(new Set(CODE_CALLS[name].map((call) => call.adapter))).toEqual(new Set(sending));
      expect(new Set(CODE_CALLS[name].map((call) => call.action.split(':')[0]))).toEqual(
        new Set(services),
      );
    },
  );

  it('covers every command lib/aws constructs, but for the CLI-only adapters no function imports', () => {
    // Prepare
    const tabled = new Set(
      [...Object.values(CODE_CALLS), ...Object.values(ORGANIZATION_CALLS)].flatMap((calls) =>
        calls.map((call) => `${call.source} ${call.command}`),
      ),
    );
    const handlerImports = FUNCTION_NAMES.flatMap((name) => importsOf(`functions/${name}.ts`));

    // Act
    const untabled = filesUnder('lib/aws')
      .filter((path) => path.endsWith('.ts') && CLI_ONLY_ADAPTERS[path] === undefined)
      .flatMap((path) => commandsIn(path).map((command) => `${path} ${command}`))
      .filter((line) => !tabled.has(line));

    // Assess
    expect(untabled).toEqual([]);
    for (const adapter of Object.keys(CLI_ONLY_ADAPTERS)) {
      expect(commandsIn(adapter).length).toBeGreaterThan(0);
      expect(handlerImports).not.toContain(adapter);
    }
  });

  it('keys the ledger calls by the item prefixes the adapters write, and no other', () => {
    // Prepare
    const calls = Object.values(CODE_CALLS).flat();
    const adapters = ['lib/aws/ledger.ts', 'lib/aws/digests.ts', 'lib/aws/doctor-state.ts'];

    // Act
    const written = adapters.flatMap((path) =>
      [...read(path).matchAll(/`([a-z]+#)/g)].map((match) => `${path} ${match[1]}`),
    );
    const tabled = calls
      .filter((call) => call.keys !== undefined && !call.keys.startsWith('{'))
      .map((call) => `${call.adapter} ${String(call.keys).replace(/#.*$/, '#')}`);

    // Assess
    expect(new Set(tabled)).toEqual(new Set(written));
    expect(new Set(written)).toEqual(
      new Set([
        'lib/aws/ledger.ts attempt#',
        'lib/aws/ledger.ts window#',
        'lib/aws/ledger.ts task#',
        'lib/aws/digests.ts digest#',
        'lib/aws/doctor-state.ts doctor#',
      ]),
    );
  });

  it("keys the idempotency records by the analyzer's function name: Powertools' default prefix", () => {
    // Prepare
    const sources = ['functions/analyzer.ts', 'lib/aws/idempotency.ts'];
    const layer =
      'node_modules/@aws-lambda-powertools/idempotency/lib/esm/persistence/BasePersistenceLayer.js';

    // Act
    const overrides = sources.filter((path) => /\b(keyPrefix|functionName)\s*:/.test(read(path)));

    // Assess
    expect(overrides).toEqual([]);
    expect(read(layer)).toContain("key: 'AWS_LAMBDA_FUNCTION_NAME'");
    expect(read(layer)).toMatch(/`\$\{this\.idempotencyKeyPrefix\}#\$\{/);
    expect(CODE_CALLS.analyzer.filter((call) => call.keys === '{function}#*')).toHaveLength(4);
  });

  it('never sends sqs:ChangeMessageVisibility: no code under lib/ or functions/ names it', () => {
    // Prepare
    const files = [...filesUnder('lib'), ...filesUnder('functions')];

    // Act
    const naming = files.filter((path) => read(path).includes('ChangeMessageVisibility'));

    // Assess
    expect(files.length).toBeGreaterThan(20);
    expect(naming).toEqual([]);
  });
});
