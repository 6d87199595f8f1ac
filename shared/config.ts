import { parseSiteConfig, type SiteConfig } from './domain/site.ts';

/** Configuration a function cannot start without. Thrown at cold start, naming what is missing. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The site settings (`SITE_CONFIG`, JSON), validated. */
export function parseSiteConfigJson(raw: string): SiteConfig {
  try {
    return parseSiteConfig(JSON.parse(raw));
  } catch (err) {
    throw new ConfigError(`SITE_CONFIG is not valid: ${(err as Error).message}`, { cause: err });
  }
}
