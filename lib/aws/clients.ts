import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FSxClient } from '@aws-sdk/client-fsx';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/*
 * The only place the Lambda functions' AWS SDK clients are created. They live at module scope so
 * a warm Lambda container reuses their connections and resolved credentials across invocations.
 *
 * Region, endpoint and credentials come from the SDK's standard settings (AWS_REGION,
 * AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_FSX, AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_SQS,
 * AWS_ENDPOINT_URL_DYNAMODB, the Lambda role's credentials…), so nothing else is configured here.
 *
 * Retries are left at the SDK defaults on purpose: the standard retry strategy already retries
 * throttling errors, 5xx responses and transient network failures (3 attempts, 4 for DynamoDB,
 * with exponential backoff and jitter). What still fails after that is reported in the summary or
 * queued (FSx), or fails the invocation so Lambda retries it (SNS, SQS, DynamoDB); retrying again
 * on top would only multiply the attempts.
 */

/**
 * Timeouts per attempt. The SDK sets none by default, so a call that hangs would hold the
 * invocation until the Lambda timeout (60 s). Every call we make is small (the largest is a
 * 256 KB SNS publish), so 10 s is ample; `throwOnRequestTimeout` makes the timeout an error the
 * retry strategy retries (TimeoutError) instead of a logged warning. Three attempts stay within
 * the functions' 60 s.
 */
const requestHandler = {
  connectionTimeout: 3_000,
  requestTimeout: 10_000,
  throwOnRequestTimeout: true,
};

const fsxClient = new FSxClient({ requestHandler });
const snsClient = new SNSClient({ requestHandler });
// Pure: each function's bundle keeps only the clients it uses (the packages have no side effects).
const sqsClient = /* @__PURE__ */ new SQSClient({ requestHandler });
const dynamoClient = /* @__PURE__ */ new DynamoDBClient({ requestHandler });

export { dynamoClient, fsxClient, requestHandler, snsClient, sqsClient };
