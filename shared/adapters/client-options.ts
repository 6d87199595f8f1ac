import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Options of every AWS SDK client the functions make. The SDK sets no timeout of its own: a connection that
 * is never accepted, or a response that stops coming (a keep-alive socket dropped on the way, an overloaded
 * endpoint), would hold the function until Lambda ends it at its timeout, and the whole batch would be retried.
 * With these the stalled call fails on its own and the SDK retries it on a fresh connection, within the
 * function's time. `socketTimeout` counts idle time on the socket, so a large image that keeps flowing is
 * never cut off. (The handler's `requestTimeout` would only log a warning unless told to throw.)
 */
export const AWS_CLIENT_OPTIONS = {
  requestHandler: { connectionTimeout: 3_000, socketTimeout: 10_000 },
} as const;

/** The clients a function's stores share; a test passes its own (with faults injected, or its endpoints). */
export interface StoreClients {
  readonly s3: S3Client;
  readonly documents: DynamoDBDocumentClient;
}

/** Store clients as the functions make them. */
export function storeClients(): StoreClients {
  return {
    s3: new S3Client(AWS_CLIENT_OPTIONS),
    documents: DynamoDBDocumentClient.from(new DynamoDBClient(AWS_CLIENT_OPTIONS), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  };
}
