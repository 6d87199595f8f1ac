import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { SiteConfig } from '#shared/domain/site.ts';
import { renderNotFoundPage } from '#shared/render/pages.ts';
import { HTML } from '#shared/use-cases/responses.ts';

/**
 * How long the edge keeps a not-found answer: an address asked for before its article went live is served
 * within this time of its publication even if an invalidation were lost.
 */
export const NOT_FOUND_CACHE_SECONDS = 10;

/**
 * The site's "page not found", for the distribution's origin failover: when the site bucket has no object
 * for an address (S3 answers 403 to CloudFront, which may not list the bucket), CloudFront asks this function
 * instead, and the reader gets the site's 404 page with status 404. It stands in for a custom error response,
 * which CloudFront would apply to every behaviour (the APIs' own 403s and 404s too).
 */
export function makeNotFoundHandler(config: SiteConfig) {
  const page = renderNotFoundPage(config);
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => ({
    statusCode: 404,
    headers: {
      'content-type': HTML,
      'cache-control': `public, max-age=${NOT_FOUND_CACHE_SECONDS}, s-maxage=${NOT_FOUND_CACHE_SECONDS}`,
    },
    body: event.requestContext.http.method === 'HEAD' ? '' : page,
  });
}
