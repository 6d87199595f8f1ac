/** What the edge answers for an address before looking for a page: a permanent redirect, or gone. */
export type EdgeRule = { readonly status: 301; readonly location: string } | { readonly status: 410 };

/**
 * How a rule is stored for the edge function (a CloudFront KeyValueStore value): `301 /new/path` or `410`.
 * The edge function (infra/edge/url-rewrite.js) reads this same format.
 */
export function encodeEdgeRule(rule: EdgeRule): string {
  return rule.status === 301 ? `301 ${rule.location}` : '410';
}

export function decodeEdgeRule(value: string): EdgeRule | undefined {
  if (value === '410') return { status: 410 };
  if (value.startsWith('301 /')) return { status: 301, location: value.slice(4) };
  return undefined;
}
