import { encodeUtf8 } from '../domain/encoding.ts';
import type { PutOptions, SiteStore } from '../ports.ts';

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Writes an object only when its bytes differ from what the site holds: processing the same change again
 * writes nothing, and the outcome says whether a CDN copy may be stale.
 */
export async function writeIfChanged(
  site: SiteStore,
  key: string,
  body: string,
  options: PutOptions,
): Promise<WriteOutcome> {
  const bytes = encodeUtf8(body);
  const current = await site.get(key);
  const same =
    current !== undefined &&
    Buffer.from(current.bytes).equals(bytes) &&
    (current.contentType === undefined || current.contentType === options.contentType) &&
    (current.cacheControl === undefined || current.cacheControl === options.cacheControl);
  if (same) return 'unchanged';
  await site.put(key, bytes, options);
  return current ? 'updated' : 'created';
}
