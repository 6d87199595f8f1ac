/** What the edge answers for an address before looking for a page: a permanent redirect, or gone. */
export type EdgeRule = { readonly status: 301; readonly location: string } | { readonly status: 410 };

/**
 * Where a stored redirect may send a reader: a path of this site. Not `//host/...` (another site, for a
 * browser), not a backslash (which browsers read as a slash), nothing but a URL path's own characters. The
 * edge function (infra/edge/url-rewrite.js) checks the same pattern before it answers 301.
 */
export const SAME_SITE_PATH = /^\/(?![/\\])[A-Za-z0-9\-._~%/]*$/;

/** A rule that must never be stored: its redirect would leave the site. */
export class EdgeRuleError extends Error {
  override readonly name = 'EdgeRuleError';
}

/**
 * How a rule is stored for the edge function (a CloudFront KeyValueStore value): `301 /new/path` or `410`.
 * The edge function reads this same format.
 */
export function encodeEdgeRule(rule: EdgeRule): string {
  if (rule.status === 410) return '410';
  if (!SAME_SITE_PATH.test(rule.location)) {
    throw new EdgeRuleError(`A redirect must go to a path of this site, not to "${rule.location}"`);
  }
  return `301 ${rule.location}`;
}

export function decodeEdgeRule(value: string): EdgeRule | undefined {
  if (value === '410') return { status: 410 };
  const location = value.slice(4);
  if (value.startsWith('301 ') && SAME_SITE_PATH.test(location)) return { status: 301, location };
  return undefined;
}
