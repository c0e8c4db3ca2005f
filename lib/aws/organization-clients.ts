import { STSClient } from '@aws-sdk/client-sts';
import { sharedClientOptions, traced } from './clients.ts';

/*
 * The SDK client only organization mode uses, created once per container like those of
 * lib/aws/clients.ts. It lives here, imported only by organization mode's wiring
 * (functions/organization.ts), so that it and the STS client code stay in the chunk a function
 * loads only when organization mode is configured (scripts/build.mjs: splitting).
 */

/** Assumes the member accounts' roles (lib/aws/accounts.ts). */
const stsClient = traced(new STSClient(sharedClientOptions));

export { stsClient };
