import * as z from 'zod/mini';
import { InputError } from '../common/errors.ts';
import { toAssociation } from '../common/fsx.ts';
import type { Association } from '../common/types.ts';

/*
 * `analyze --associations FILE`: the JSON `aws fsx describe-data-repository-associations` prints,
 * so a dry run maps S3 keys to file-system paths exactly as the Lambda does with the live answer.
 */

/**
 * The shape checked, built on first use: only `--associations` needs it, and zod builds a schema
 * object by object, which every `analyze` would otherwise pay at start.
 */
let associationsSchema: ReturnType<typeof buildSchema> | undefined;

function buildSchema() {
  return z.object({
    Associations: z.array(
      z.object({
        AssociationId: z.optional(z.string()),
        FileSystemId: z.optional(z.string()),
        Lifecycle: z.optional(z.string()),
        FileSystemPath: z.optional(z.string()),
        DataRepositoryPath: z.optional(z.string()),
      }),
    ),
  });
}

/**
 * The associations of a `describe-data-repository-associations` output, by file system.
 *
 * @throws InputError (one line) when the text is not that output.
 */
export function readAssociations(text: string): ReadonlyMap<string, readonly Association[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError(
      'is not JSON: expected the output of aws fsx describe-data-repository-associations',
    );
  }
  associationsSchema ??= buildSchema();
  const parsed = associationsSchema.safeParse(value);
  if (!parsed.success) {
    throw new InputError(
      'is not the output of aws fsx describe-data-repository-associations (no "Associations" list)',
    );
  }
  const byFileSystem = new Map<string, Association[]>();
  for (const entry of parsed.data.Associations) {
    const association = toAssociation(entry);
    if (association === undefined) continue;
    const list = byFileSystem.get(association.fileSystemId) ?? [];
    list.push(association);
    byFileSystem.set(association.fileSystemId, list);
  }
  return byFileSystem;
}
