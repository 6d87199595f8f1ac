import { NOT_FOUND_CACHE_SECONDS } from '../../functions/not-found/handler.ts';

/**
 * How long CloudFront keeps what it fetched, in seconds: the distribution's cache policies
 * (infra/pipeline-stack.ts) are made from these; the local CDN (local/cdn.ts) reads the policies back from
 * the synthesized template.
 */
export interface CacheTtls {
  readonly min: number;
  readonly default: number;
  readonly max: number;
}

export const CDN_CACHE = {
  /**
   * Pages, lists, feeds and sitemaps (the default behaviour, after the viewer-request function): each object
   * carries its own lifetime (`s-maxage`): articles a year, invalidated when they change; lists a minute.
   */
  pages: { min: 0, default: 60, max: 365 * 24 * 3600 },
  /** `/media/*` and `/assets/*`, named by their content: AWS's managed CachingOptimized policy. */
  files: { min: 1, default: 86_400, max: 31_536_000 },
  /**
   * An address with no object (S3 answers 403 to CloudFront, which has no list permission) is answered by
   * the not-found function with the 404 page, which says to keep it this long.
   */
  errorSeconds: NOT_FOUND_CACHE_SECONDS,
} as const satisfies { pages: CacheTtls; files: CacheTtls; errorSeconds: number };

/** The path patterns served by the `files` policy, without the viewer-request function. */
export const FILE_PATH_PREFIXES = ['/media/', '/assets/'] as const;
