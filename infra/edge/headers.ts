/**
 * Security headers every answer carries: set by CloudFront's response headers policy on pages in AWS, written
 * into the viewer-request function's own answers (301, 410, 400) because the documentation does not say the
 * policy reaches those, and set by the local CDN on everything. No inline script is allowed; the only script
 * is the header clock, served from the site.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Browser features a news page never needs: a page (or anything injected into it) cannot ask for them. */
export const PERMISSIONS_POLICY = [
  'camera=()',
  'microphone=()',
  'geolocation=()',
  'payment=()',
  'usb=()',
  'browsing-topics=()',
].join(', ');

/** Two years, as the HSTS preload list asks. */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;

export interface SecurityHeaderOptions {
  /**
   * Adds `preload` to HSTS. Opt-in: once the domain is on browsers' preload list it cannot serve plain HTTP
   * (on any subdomain) for months, even after the setting is turned off.
   */
  readonly hstsPreload?: boolean;
}

/** The security headers, lower-case names as HTTP/2 sends them. */
export function securityHeaders(options: SecurityHeaderOptions = {}): Readonly<Record<string, string>> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'strict-transport-security': `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains${options.hstsPreload ? '; preload' : ''}`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'permissions-policy': PERMISSIONS_POLICY,
  };
}
