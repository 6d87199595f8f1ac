/**
 * Stands in for `@aws-sdk/credential-provider-node` inside the function bundles. A Lambda function gets its
 * role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), set by
 * the runtime for the life of the execution environment, so the rest of the SDK's default chain (shared
 * profiles, SSO, web identity, process, container and instance metadata) never answers there.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
