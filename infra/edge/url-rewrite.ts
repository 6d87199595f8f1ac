import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The CloudFront Function's source file, with its two placeholders. */
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
}

/** The function code as deployed: the source file with the store id and the 410 page filled in. */
export function edgeFunctionSource({ storeId, gonePage }: EdgeFunctionOptions): string {
  return readFileSync(URL_REWRITE_SOURCE_PATH, 'utf8')
    .replace("'__EDGE_RULES_STORE_ID__'", () => JSON.stringify(storeId))
    .replace('__GONE_PAGE__', () => JSON.stringify(gonePage));
}

/**
 * Evaluates the deployed function code in this process, with the `cloudfront` module's KeyValueStore backed
 * by `lookup`, so that the local site server and the tests run exactly the code CloudFront runs.
 */
export function loadEdgeFunction(options: {
  readonly gonePage: string;
  readonly lookup: (path: string) => Promise<string | undefined>;
}): (uri: string) => Promise<EdgeResult> {
  const source = edgeFunctionSource({ storeId: 'local', gonePage: options.gonePage }).replace(
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
