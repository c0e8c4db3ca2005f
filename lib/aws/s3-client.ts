import type { S3Client } from '@aws-sdk/client-s3';
import { traced } from './clients.ts';
import { requestHandler } from './http.ts';

/*
 * The outcome check's S3 client, for task completion reports (lib/aws/s3.ts), apart from
 * lib/aws/clients.ts: the S3 client code (about 130 KiB with its checksum and S3 middleware) is
 * imported at the client's first use, so the Lambda bundle keeps it in a chunk of its own
 * (scripts/build.mjs: splitting) that the runs which read no report never load. Imported only by
 * the outcome check, so no other function's bundle carries that chunk or the code it shares.
 */

let s3: Promise<S3Client> | undefined;

/** The S3 client, created once per container at its first use. */
function s3Client(): Promise<S3Client> {
  s3 ??= import('@aws-sdk/client-s3').then(({ S3Client }) =>
    // Not clients.ts's clientOptions: an S3 call's endpoint follows its bucket, so its
    // middleware is resolved per call (see clientOptions there).
    traced(new S3Client({ requestHandler })),
  );
  return s3;
}

export { s3Client };
