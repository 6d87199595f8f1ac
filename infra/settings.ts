import type { App } from 'aws-cdk-lib';
import { z } from 'zod';
import { parseSiteConfig, type SiteConfig } from '#shared/domain/site.ts';

/** Deployment settings, read from the `newsroom` context of cdk.json (or `-c newsroom=...`). */
export interface NewsroomSettings {
  readonly site: SiteConfig;
  /** Days a replaced or deleted draft version is kept before S3 expires it. */
  readonly draftVersionRetentionDays: number;
  /** Days function logs are kept. */
  readonly logRetentionDays: number;
}

const extraSchema = z.object({
  draftVersionRetentionDays: z.number().int().min(1).default(365),
  logRetentionDays: z.number().int().min(1).default(90),
});

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Reads and checks the settings at synth time, failing with every problem named. */
export function readSettings(app: App): NewsroomSettings {
  const raw = app.node.tryGetContext('newsroom');
  if (raw === undefined) {
    throw new SettingsError(
      'cdk.json has no "newsroom" context: add siteName, siteUrl and sections (see README).',
    );
  }
  const input = typeof raw === 'string' ? JSON.parse(raw) : raw;
  const site = parseSiteConfig(input);
  const extra = extraSchema.safeParse(input);
  if (!extra.success) {
    const lines = extra.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new SettingsError(`Invalid newsroom settings:\n${lines.join('\n')}`);
  }
  return { site, ...extra.data };
}
