import { parseSiteConfigJson } from '#shared/config.ts';
import type { SiteConfig } from '#shared/domain/site.ts';
import { NOT_FOUND_ENVIRONMENT } from './environment.ts';

/** The not-found function's one input, from its environment. */
export function composeNotFound(env: NodeJS.ProcessEnv): SiteConfig {
  return parseSiteConfigJson(NOT_FOUND_ENVIRONMENT.read(env).SITE_CONFIG);
}
