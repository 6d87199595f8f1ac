import type { App } from 'aws-cdk-lib';
import { z } from 'zod';
import { parseSiteConfig, type SiteConfig } from '#shared/domain/site.ts';

/** Deployment settings, read from the `newsroom` context of cdk.json (or `-c newsroom='{...}'`). */
export interface NewsroomSettings {
  readonly site: SiteConfig;
  /** Starts the name of every bucket and table, so that several sites can share an account. */
  readonly resourcePrefix: string;
  /** The readers' domain (`baolaichau.vn`) with its ACM certificate in us-east-1; both or neither. */
  readonly domain?: { readonly name: string; readonly certificateArn: string };
  /** Where alarms are sent; without it the alarm topic has no subscriber. */
  readonly alertEmail?: string;
  /** Days a replaced or deleted draft version is kept before S3 expires it. */
  readonly draftVersionRetentionDays: number;
  /** Days a replaced or deleted page (or photo) version is kept in the site bucket before S3 expires it. */
  readonly siteVersionRetentionDays: number;
  /** Days function logs are kept (a CloudWatch Logs retention value). */
  readonly logRetentionDays: number;
  /** Days S3 and CloudFront access logs are kept. */
  readonly accessLogRetentionDays: number;
  /**
   * Sends HSTS with `preload`, for a domain on (or going onto) browsers' preload list. Off by default: once
   * preloaded, the domain and all its subdomains are HTTPS-only in browsers for months, whatever it sends later.
   */
  readonly hstsPreload: boolean;
  /** Days each draft version is locked (Object Lock, governance mode) before it may be deleted for good. */
  readonly draftLockDays: number;
  /** Minutes between two reconciles (each compares the drafts bucket with what was applied). */
  readonly reconcileEveryMinutes: number;
  /**
   * Batches a rebuild runs at once in each of its maps (ingest invocations): bounded by what the table and
   * the buckets take without throttling (docs/performance.md models it).
   */
  readonly rebuildConcurrency: number;
  /**
   * The one role that may delete draft versions, change the drafts bucket's versioning or lifecycle, or
   * its policy (break-glass); without it, no one can (the account's root user aside).
   */
  readonly breakGlassRoleArn?: string;
  /** Readers' comments: the moderators' digest, its alarm, and an optional WAF rule (docs/comments.md). */
  readonly comments: {
    /** How often the digest of pending comments is sent, at most (minutes). */
    readonly digestEveryMinutes: number;
    /** Who gets it (SES, from `digestFrom`, a verified identity); none: the digest is only a metric. */
    readonly moderatorEmails: readonly string[];
    readonly digestFrom?: string;
    /** A comment pending this long alarms (hours). */
    readonly oldestPendingAlarmHours: number;
    /** Posts per address per five minutes past which a WAF rule blocks (us-east-1 only); none: no WAF. */
    readonly wafPostsPerFiveMinutes?: number;
  };
}

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const deploymentSchema = z
  .object({
    domainName: z
      .string()
      .regex(
        /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/,
        'must be a lowercase domain name',
      )
      .optional(),
    certificateArn: z
      .string()
      .regex(
        /^arn:aws:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/,
        'must be an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from that region)',
      )
      .optional(),
    alertEmail: z.email('must be an email address').optional(),
    resourcePrefix: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{1,15}$/,
        'must be 2-16 lowercase letters, digits or "-", starting with a letter',
      )
      .default('newsroom'),
    draftVersionRetentionDays: z.number().int().min(1).default(365),
    siteVersionRetentionDays: z.number().int().min(1).default(30),
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => LOG_RETENTION_DAYS.includes(d), `must be one of ${LOG_RETENTION_DAYS.join(', ')}`)
      .default(90),
    accessLogRetentionDays: z.number().int().min(1).default(365),
    hstsPreload: z.boolean().default(false),
    reconcileEveryMinutes: z.number().int().min(1).max(1440).default(15),
    rebuildConcurrency: z.number().int().min(1).max(1000).default(40),
    draftLockDays: z.number().int().min(1).max(3650).default(30),
    breakGlassRoleArn: z
      .string()
      .regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN')
      .optional(),
    commentDigestEveryMinutes: z.number().int().min(5).max(1440).default(60),
    moderatorEmails: z.array(z.email('must be an email address')).default([]),
    commentDigestFrom: z.email('must be an email address (an identity verified in SES)').optional(),
    oldestPendingCommentAlarmHours: z.number().int().min(1).max(720).default(24),
    commentWafPostsPerFiveMinutes: z.number().int().min(10).max(2_000_000_000).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.moderatorEmails.length > 0 && !s.commentDigestFrom) {
      ctx.addIssue({
        code: 'custom',
        path: ['commentDigestFrom'],
        message: 'set commentDigestFrom (a sender verified in SES) to mail the digest to moderatorEmails',
      });
    }
    if ((s.domainName === undefined) !== (s.certificateArn === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [s.domainName === undefined ? 'domainName' : 'certificateArn'],
        message: 'set domainName and certificateArn together (or neither, for the CloudFront domain)',
      });
    }
  });

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Reads and checks the settings at synth time, failing with every problem named. */
export function readSettings(app: App): NewsroomSettings {
  const raw = app.node.tryGetContext('newsroom');
  if (raw === undefined) {
    throw new SettingsError(
      'cdk.json has no "newsroom" context: add siteName, siteUrl and sections (see docs/deploying.md).',
    );
  }
  const input = typeof raw === 'string' ? JSON.parse(raw) : raw;
  const site = parseSiteConfig(input);
  const parsed = deploymentSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new SettingsError(`Invalid newsroom settings (cdk.json context "newsroom"):\n${lines.join('\n')}`);
  }
  const {
    domainName,
    certificateArn,
    alertEmail,
    resourcePrefix,
    breakGlassRoleArn,
    commentDigestEveryMinutes,
    moderatorEmails,
    commentDigestFrom,
    oldestPendingCommentAlarmHours,
    commentWafPostsPerFiveMinutes,
    ...retention
  } = parsed.data;
  if (domainName && new URL(site.siteUrl).hostname !== domainName) {
    throw new SettingsError(
      `siteUrl (${site.siteUrl}) must be on domainName (${domainName}): pages link to it.`,
    );
  }
  return {
    site,
    resourcePrefix,
    ...(domainName && certificateArn ? { domain: { name: domainName, certificateArn } } : {}),
    ...(alertEmail ? { alertEmail } : {}),
    ...(breakGlassRoleArn ? { breakGlassRoleArn } : {}),
    ...retention,
    comments: {
      digestEveryMinutes: commentDigestEveryMinutes,
      moderatorEmails,
      ...(commentDigestFrom ? { digestFrom: commentDigestFrom } : {}),
      oldestPendingAlarmHours: oldestPendingCommentAlarmHours,
      ...(commentWafPostsPerFiveMinutes ? { wafPostsPerFiveMinutes: commentWafPostsPerFiveMinutes } : {}),
    },
  };
}
