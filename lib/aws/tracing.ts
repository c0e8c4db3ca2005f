import { Tracer } from '@aws-lambda-powertools/tracer';

/*
 * X-Ray capture of the SDK clients, for stacks deployed with tracing=true (docs/deploy.md). Built
 * as a bundle of its own (dist/lambda/tracing.mjs) and loaded by clients.ts only when
 * POWERTOOLS_TRACE_ENABLED is true: the X-Ray SDK adds ~130 KB, which no function should carry,
 * parse and initialise when tracing is off.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/tracer/
 */

const tracer = new Tracer();

/** The client, with every call it makes recorded as an X-Ray subsegment. */
export function capture<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}
