import { randomUUID } from 'node:crypto';
import { type CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { cdnCacheKey } from '../../domain/article.ts';
import type { CdnInvalidator } from '../../ports.ts';

/** CloudFront allows 3,000 paths in flight per distribution; one change stays far below, batches are capped. */
const PATHS_PER_INVALIDATION = 1000;

/**
 * Drops CloudFront's copies of changed pages, all the paths of one change in one invalidation. CloudFront
 * caches a page under the URI its viewer-request function leaves (`/xa-hoi/tin/index.html` for `/xa-hoi/tin`),
 * and that function reads every spelling of an address as that one URI: so one path per page, the cache key,
 * is all an invalidation needs (AWS's guide names the viewer URI too, for functions that leave it a key).
 */
export class CloudFrontInvalidator implements CdnInvalidator {
  constructor(
    private readonly client: CloudFrontClient,
    private readonly distributionId: string,
  ) {}

  async invalidate(paths: readonly string[]): Promise<void> {
    const unique = [...new Set(paths.map(cdnCacheKey))];
    for (let i = 0; i < unique.length; i += PATHS_PER_INVALIDATION) {
      const items = unique.slice(i, i + PATHS_PER_INVALIDATION).map((p) => encodeURI(p));
      await this.client.send(
        new CreateInvalidationCommand({
          DistributionId: this.distributionId,
          InvalidationBatch: {
            CallerReference: randomUUID(),
            Paths: { Quantity: items.length, Items: items },
          },
        }),
      );
    }
  }
}
