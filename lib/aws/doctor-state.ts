import {
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { AnalyzerError } from '../common/errors.ts';
import { CHECKS, type FindingState, SEVERITIES } from '../common/types.ts';

/*
 * What the scheduled doctor remembers between runs, in the ledger table (key `id`, TTL
 * `expiration`): one item per Region,
 *
 * doctor   id = doctor#<region>
 *          kind = "doctor", checkedAt (ISO), findings (JSON text: key, fileSystemId, check,
 *          severity and unconfirmed of every finding), expiration = checkedAt + 30 days.
 *
 * Only what the next run compares is kept (about 100 bytes a finding), so even hundreds of file
 * systems stay far below the 400 KB item limit. The findings are one JSON string rather than a
 * DynamoDB list: the item is always read and written whole, never queried inside.
 */

/** A state read or write failed; `cause` is the SDK error. */
class DoctorStateError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DoctorStateError';
  }
}

/** A state left unread for this long is stale: the next run starts afresh. */
const RETENTION_SECONDS = 30 * 24 * 60 * 60;

// The same lists as the types, so a new check or severity can never make a saved state unreadable.
const SEVERITY = z.enum(SEVERITIES);
const CHECK = z.enum(CHECKS);
const STATE = z.array(
  z.object({
    key: z.string(),
    fileSystemId: z.string(),
    check: CHECK,
    severity: SEVERITY,
    unconfirmed: z.optional(z.boolean()),
  }),
);

interface DoctorStateStore {
  /**
   * The findings of the previous run, or undefined when there was none (or it cannot be read
   * back: a state from an incompatible version is treated as no state, so the next run alerts
   * on everything actionable rather than failing every hour).
   */
  load(): Promise<readonly FindingState[] | undefined>;
  save(findings: readonly FindingState[], at: Date): Promise<void>;
}

/** The scheduled doctor's state for one Region in the ledger table. */
function createDoctorState(
  client: DynamoDBClient,
  tableName: string,
  region: string,
): DoctorStateStore {
  const key = { id: { S: `doctor#${region}` } };
  return {
    async load() {
      let output: GetItemCommandOutput;
      try {
        output = await client.send(
          new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
        );
      } catch (error) {
        throw new DoctorStateError(`cannot read the doctor state from ${tableName}`, {
          cause: error,
        });
      }
      const text = output.Item?.['findings']?.S;
      if (text === undefined) return undefined;
      try {
        const parsed = STATE.safeParse(JSON.parse(text));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
    async save(findings, at) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: key.id,
              kind: { S: 'doctor' },
              checkedAt: { S: at.toISOString() },
              findings: { S: JSON.stringify(findings) },
              expiration: { N: String(Math.floor(at.getTime() / 1000) + RETENTION_SECONDS) },
            },
          }),
        );
      } catch (error) {
        throw new DoctorStateError(`cannot save the doctor state to ${tableName}`, {
          cause: error,
        });
      }
    },
  };
}

export type { DoctorStateStore };
export { createDoctorState, DoctorStateError };
