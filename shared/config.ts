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

/** Settings every pipeline function reads once, at cold start. */
export interface PipelineConfig {
  readonly draftsBucket: string;
  readonly siteBucket: string;
  readonly articleTable: string;
  readonly site: SiteConfig;
}

export function pipelineConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const raw = requireEnv('SITE_CONFIG', env);
  let site: SiteConfig;
  try {
    site = parseSiteConfig(JSON.parse(raw));
  } catch (err) {
    throw new ConfigError(`SITE_CONFIG is not valid: ${(err as Error).message}`, { cause: err });
  }
  return {
    draftsBucket: requireEnv('DRAFTS_BUCKET', env),
    siteBucket: requireEnv('SITE_BUCKET', env),
    articleTable: requireEnv('ARTICLE_TABLE', env),
    site,
  };
}
