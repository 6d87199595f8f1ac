import { functionEnvironment, needs } from '#shared/environment.ts';

/** The not-found function's environment: the site settings its page is drawn with. */
export const NOT_FOUND_ENVIRONMENT = functionEnvironment({
  SITE_CONFIG: needs('the site settings, JSON'),
});
