import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SiteConfig } from '#shared/domain/site.ts';
import { renderBadRequestPage, renderGonePage } from '#shared/render/pages.ts';
import { type SecurityHeaderOptions, securityHeaders } from './headers.ts';

/** The CloudFront Function's source file, with its placeholders. */
export const URL_REWRITE_SOURCE_PATH = fileURLToPath(new URL('./url-rewrite.js', import.meta.url));

export interface EdgeRequest {
  uri: string;
}

export interface EdgeResponse {
  statusCode: number;
  statusDescription: string;
  headers: Record<string, { value: string }>;
  body?: { encoding: string; data: string };
}

export type EdgeResult = EdgeRequest | EdgeResponse;

export function isResponse(result: EdgeResult): result is EdgeResponse {
  return 'statusCode' in result;
}

export interface EdgeFunctionOptions {
  /** The KeyValueStore the function reads its rules from (a token at synth time). */
  readonly storeId: string;
  /** The Vietnamese page a taken-down address answers with (410). */
  readonly gonePage: string;
  /** The Vietnamese page an address that cannot be read answers with (400). */
  readonly badRequestPage: string;
  /** The security headers the function's own answers carry (see headers.ts). */
  readonly headers: Readonly<Record<string, string>>;
}

/** What the function answers with for this site: its pages and headers (the store id aside). */
export function edgeAnswers(
  site: SiteConfig,
  headerOptions: SecurityHeaderOptions = {},
): Omit<EdgeFunctionOptions, 'storeId'> {
  return {
    gonePage: renderGonePage(site),
    badRequestPage: renderBadRequestPage(site),
    headers: securityHeaders(headerOptions),
  };
}

/** CloudFront's limit on a function's code. */
export const EDGE_FUNCTION_MAX_BYTES = 10_240;

/** The function code as deployed: the source file with the store id, its pages and its headers filled in. */
export function edgeFunctionSource({
  storeId,
  gonePage,
  badRequestPage,
  headers,
}: EdgeFunctionOptions): string {
  return readFileSync(URL_REWRITE_SOURCE_PATH, 'utf8')
    .replace("'__EDGE_RULES_STORE_ID__'", () => JSON.stringify(storeId))
    .replace('__GONE_PAGE__', () => JSON.stringify(gonePage))
    .replace('__BAD_REQUEST_PAGE__', () => JSON.stringify(badRequestPage))
    .replace('__SECURITY_HEADERS__', () => JSON.stringify(headers));
}

/**
 * Evaluates the deployed function code in this process, with the `cloudfront` module's KeyValueStore backed
 * by `lookup`, so that the local site server and the tests run exactly the code CloudFront runs.
 */
export function loadEdgeFunction(
  options: Omit<EdgeFunctionOptions, 'storeId'> & {
    /** The store's value for a key; may throw, as a store that cannot be read does. */
    readonly lookup: (path: string) => Promise<string | undefined>;
  },
): (uri: string) => Promise<EdgeResult> {
  const source = edgeFunctionSource({ ...options, storeId: 'local' }).replace(
    /^import cf from 'cloudfront';$/m,
    '',
  );
  const cloudfront = {
    kvs: () => ({
      async get(key: string) {
        const value = await options.lookup(key);
        if (value === undefined) throw new Error(`Key ${key} not found`);
        return value;
      },
    }),
  };
  const handler = new Function('cf', `${source}\nreturn handler;`)(cloudfront) as (event: {
    request: EdgeRequest;
  }) => Promise<EdgeResult>;
  return (uri) => handler({ request: { uri } });
}
