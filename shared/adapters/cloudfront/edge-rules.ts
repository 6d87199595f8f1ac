// The KeyValueStore API is signed with SigV4a; this registers the pure-JavaScript signer with the SDK.
import '@aws-sdk/signature-v4a';
import {
  type CloudFrontKeyValueStoreClient,
  DeleteKeyCommand,
  DescribeKeyValueStoreCommand,
  PutKeyCommand,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { backoffMs } from '../../domain/backoff.ts';
import { type EdgeRule, encodeEdgeRule } from '../../domain/edge-rules.ts';
import type { EdgeRules } from '../../ports.ts';

const CONFLICTS = new Set(['ConflictException', 'ValidationException', 'PreconditionFailed']);

/**
 * Edge rules in a CloudFront KeyValueStore, read by the viewer-request function. Every write names the
 * store's current ETag; a write that lost a race with another instance reads the ETag again and retries.
 */
export class KeyValueStoreEdgeRules implements EdgeRules {
  constructor(
    private readonly client: CloudFrontKeyValueStoreClient,
    private readonly storeArn: string,
  ) {}

  async set(path: string, rule: EdgeRule | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { ETag } = await this.client.send(new DescribeKeyValueStoreCommand({ KvsARN: this.storeArn }));
      try {
        if (rule) {
          await this.client.send(
            new PutKeyCommand({
              KvsARN: this.storeArn,
              Key: path,
              Value: encodeEdgeRule(rule),
              IfMatch: ETag,
            }),
          );
        } else {
          await this.client.send(new DeleteKeyCommand({ KvsARN: this.storeArn, Key: path, IfMatch: ETag }));
        }
        return;
      } catch (err) {
        const name = (err as { name?: string }).name ?? '';
        if (!rule && name === 'ResourceNotFoundException') return;
        if (!CONFLICTS.has(name) || attempt >= 5) throw err;
        // Another instance wrote first: both read the new ETag and try again, not in step.
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, 25, 400)));
      }
    }
  }
}
