import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The CloudFront Function's source, as deployed. */
export const URL_REWRITE_SOURCE_PATH = fileURLToPath(new URL('./url-rewrite.js', import.meta.url));

export interface EdgeRequest {
  uri: string;
}

export interface EdgeRedirect {
  statusCode: number;
  statusDescription: string;
  headers: Record<string, { value: string }>;
}

export type EdgeResult = EdgeRequest | EdgeRedirect;

export function isRedirect(result: EdgeResult): result is EdgeRedirect {
  return 'statusCode' in result;
}

/**
 * Loads the deployed CloudFront Function source and returns its handler, so that the local site server and
 * the tests run exactly the code CloudFront runs.
 */
export function loadUrlRewrite(): (uri: string) => EdgeResult {
  const source = readFileSync(URL_REWRITE_SOURCE_PATH, 'utf8');
  const handler = new Function(`${source}\nreturn handler;`)() as (event: {
    request: EdgeRequest;
  }) => EdgeResult;
  return (uri) => handler({ request: { uri } });
}
