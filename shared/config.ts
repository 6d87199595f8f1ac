import { parseSiteConfig, type SiteConfig } from './domain/site.ts';

/** Configuration a function cannot start without. Thrown at cold start, naming what is missing. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`Environment variable ${name} is not set; the deployment must set it.`);
  }
  return value;
}

/** The site settings (`SITE_CONFIG`, JSON), validated. */
export function siteConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SiteConfig {
  const raw = requireEnv('SITE_CONFIG', env);
  try {
    return parseSiteConfig(JSON.parse(raw));
  } catch (err) {
    throw new ConfigError(`SITE_CONFIG is not valid: ${(err as Error).message}`, { cause: err });
  }
}
