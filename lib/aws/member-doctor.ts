import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FSxClient } from '@aws-sdk/client-fsx';
import { describeError } from '../common/errors.ts';
import { display } from '../common/text.ts';
import type { Inventory } from '../common/types.ts';
import { type Accounts, AssumeRoleError } from './accounts.ts';
import { ACCESS_DENIED, errorName } from './aws-errors.ts';
import { clientOptions } from './http.ts';
import { InventoryError, readInventory } from './inventory.ts';

/*
 * `doctor --org` (docs/organization.md): what the single-account doctor reads (lib/aws/inventory.ts),
 * read in a member account through the member role (lib/aws/accounts.ts). The member role grants
 * the FSx reads and logs:DescribeSubscriptionFilters, not cloudwatch:GetMetricData, so the export
 * backlog is not read here.
 */

/** A member account read through its role: or why it could not be. */
type MemberInventory =
  | {
      readonly kind: 'unassumable';
      readonly reason: string;
      /** STS refused the role (missing, or its trust policy does not admit the caller). */
      readonly refused: boolean;
    }
  | { readonly kind: 'unlisted'; readonly reason: string }
  | { readonly kind: 'read'; readonly inventory: Inventory };

interface MemberReadOptions {
  /** The Region the member's clients call (the central stack's). */
  readonly region: string | undefined;
  /** Progress for long runs (stderr in the CLI). */
  readonly progress?: ((text: string) => void) | undefined;
}

/** `AccessDenied: User ... is not authorized ...`: the first line of why STS refused. */
function assumeReason(error: AssumeRoleError): string {
  const cause = error.cause ?? error;
  return display(`${errorName(cause)}: ${describeError(cause)}`, 300);
}

/**
 * Assumes the member role of `account` and reads its file systems, associations and the
 * subscription filters of their log groups with those credentials. A refused role or a listing
 * that fails is the member's result, not a failure of the run: the other members are still read.
 */
async function readMemberInventory(
  accounts: Accounts,
  account: string,
  options: MemberReadOptions,
): Promise<MemberInventory> {
  const credentials = accounts.credentials(account);
  try {
    await credentials();
  } catch (error) {
    if (error instanceof AssumeRoleError) {
      // AccessDenied: the role is missing or does not trust the caller; anything else (no
      // credentials, no connection) says nothing about the member.
      const refused = ACCESS_DENIED.has(errorName(error.cause ?? error));
      return { kind: 'unassumable', reason: assumeReason(error), refused };
    }
    throw error;
  }
  const fsx = new FSxClient({ ...clientOptions(options.region), credentials });
  const logs = new CloudWatchLogsClient({ ...clientOptions(options.region), credentials });
  try {
    const inventory = await readInventory(
      { fsx, logs },
      { region: options.region, progress: options.progress },
    );
    return { kind: 'read', inventory };
  } catch (error) {
    if (error instanceof InventoryError) return { kind: 'unlisted', reason: error.message };
    throw error;
  } finally {
    fsx.destroy();
    logs.destroy();
  }
}

export type { MemberInventory, MemberReadOptions };
export { readMemberInventory };
