/**
 * How Lambda's SQS event sources deliver to the functions (batches of this size, this many in flight at
 * once). The stack sets them; the local stack reads them back from the synthesized event source mappings.
 */
export const EVENT_SOURCES = {
  /** Draft events: ten a batch, ten batches at once (the function's own bound on DynamoDB and S3). */
  ingest: { batchSize: 10, maxConcurrency: 10 },
  /** Render jobs (FIFO): one group a batch at a time, five batches at once. */
  render: { batchSize: 10, maxConcurrency: 5 },
} as const;
