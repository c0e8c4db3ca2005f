import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FSxClient, type FSxClientConfig } from '@aws-sdk/client-fsx';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { requestHandler } from './http.ts';

/*
 * The only place the Lambda functions' AWS SDK clients are created. They live at module scope so
 * a warm Lambda container reuses their connections and resolved credentials across invocations.
 *
 * Region, endpoint and credentials come from the SDK's standard settings (AWS_REGION,
 * AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_FSX, AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_SQS,
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, the Lambda role's credentials…), so nothing else is configured here.
 *
 * Retries are left at the SDK defaults on purpose: the standard retry strategy already retries
 * throttling errors, 5xx responses and transient network failures (3 attempts, 4 for DynamoDB,
 * with exponential backoff and jitter). What still fails after that is reported in the summary or
 * queued (FSx), or fails the invocation so Lambda retries it (SNS, SQS, DynamoDB); retrying again
 * on top would only multiply the attempts.
 */

// Timeouts per attempt: see lib/aws/http.ts.

/** What lib/aws/tracing.ts exports: loaded only with tracing on (see there why). */
interface Tracing {
  capture<T>(client: T): T;
}

// The clients this bundle creates: the only ones X-Ray capture has to reach.
const created: object[] = [];
// Set once the tracing module has loaded (tracing on).
let tracing: Tracing | undefined;

/**
 * Registers an SDK client for X-Ray capture: at once when tracing has loaded, else when it does
 * (lib/aws/organization-clients.ts and s3-client.ts create theirs later, with their chunks).
 */
function traced<T extends object>(client: T): T {
  created.push(client);
  tracing?.capture(client);
  return client;
}

// The bundle sits beside each function's bundle in the package (dist/lambda/tracing.mjs); in the
// sources (tests, local runs) it is the TypeScript module. This code may itself be in one of the
// function's chunks, dist/lambda/chunks/<function>/ (scripts/build.mjs), two folders further down,
// so the specifier is resolved from the folder above `chunks/`. A computed specifier keeps esbuild
// from inlining it. No top-level await: `osls invoke local` loads the handler with require(),
// which refuses it.
const TRACING_MODULE = import.meta.url.endsWith('.ts')
  ? './tracing.ts'
  : new URL(
      import.meta.url.includes('/chunks/') ? '../../tracing.mjs' : './tracing.mjs',
      import.meta.url,
    ).href;

/**
 * Resolves once the clients record their calls in X-Ray (at once when tracing is off). The
 * handler wrapper awaits it before the first invocation; capture changes each client in place.
 */
const tracingReady: Promise<void> =
  process.env['POWERTOOLS_TRACE_ENABLED'] === 'true'
    ? import(TRACING_MODULE).then((loaded: Tracing) => {
        tracing = loaded;
        for (const client of created) loaded.capture(client);
      })
    : Promise.resolve();
// Awaited by every invocation (lib/aws/lambda.ts), which then fails with the real error; handled
// here too, so a failed load is not an unhandled rejection that ends the container at init.
tracingReady.catch(() => undefined);

/**
 * What the clients here are created with (SQS's aside): our timeouts (lib/aws/http.ts), and each
 * command's middleware stack resolved once per client instead of on every call (the SDK's
 * documented `cacheMiddleware` client setting). Resolving the stack copied and sorted some 30
 * middleware entries per call: about a fifth of the ~200 KB a DynamoDB UpdateItem allocates, and
 * a 10,000-event batch makes ~190 calls. Sound here because:
 * - nothing changes a client's middleware after its first call: X-Ray capture (tracing.ts) is
 *   applied before the first invocation (`tracingReady`), Powertools adds its user agent when it
 *   is constructed;
 * - the cached handler shares one context between concurrent calls of a command, which the
 *   endpoint step writes: every call of these clients resolves to the same endpoint (one Region,
 *   no per-call endpoint input). Not so for S3, whose endpoint follows each call's bucket
 *   (s3-client.ts), nor for SQS, whose QueueUrl step may put the queue's host in that context
 *   per call: those two resolve per call.
 * The cache keeps the first command of each class (and its input) for the container's life: one
 * message per command class, at most a summary and a batch of queued messages.
 */
const sharedClientOptions = { requestHandler, cacheMiddleware: true } as const;

// Pure: each function's bundle keeps only the clients it uses (the packages have no side effects),
// and a container constructs no client its function never calls.
const fsxClient = /* @__PURE__ */ traced(/* @__PURE__ */ new FSxClient(sharedClientOptions));
const snsClient = /* @__PURE__ */ traced(/* @__PURE__ */ new SNSClient(sharedClientOptions));
const sqsClient = /* @__PURE__ */ traced(/* @__PURE__ */ new SQSClient({ requestHandler }));
const dynamoClient = /* @__PURE__ */ traced(
  /* @__PURE__ */ new DynamoDBClient(sharedClientOptions),
);
const logsClient = /* @__PURE__ */ traced(
  /* @__PURE__ */ new CloudWatchLogsClient(sharedClientOptions),
);
// Organization mode's STS client: lib/aws/organization-clients.ts.

// The outcome check's S3 client (completion reports): lib/aws/s3-client.ts.
// The export backlog (lib/aws/metrics.ts): AWS_ENDPOINT_URL_CLOUDWATCH points it elsewhere.
const metricsClient = /* @__PURE__ */ traced(
  /* @__PURE__ */ new CloudWatchClient(sharedClientOptions),
);

/**
 * An FSx client that signs with `credentials`: a member account's, in organization mode (one per
 * account, kept by the caller for the container's life). Traced like the others, so its calls
 * show in X-Ray beside the home account's.
 */
function fsxClientWith(credentials: NonNullable<FSxClientConfig['credentials']>): FSxClient {
  return traced(new FSxClient({ ...sharedClientOptions, credentials }));
}

export {
  dynamoClient,
  fsxClient,
  fsxClientWith,
  logsClient,
  metricsClient,
  sharedClientOptions,
  snsClient,
  sqsClient,
  traced,
  tracingReady,
};
