import {
  DefaultStackSynthesizer,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { KeyValueStore } from 'aws-cdk-lib/aws-cloudfront';
import { AccountRecovery, Mfa, UserPool } from 'aws-cdk-lib/aws-cognito';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { ARTICLE_TABLE, COMMENT_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { deskUploadCors } from '#shared/desk/cors.ts';
import { type ResourceNames, resourceNames } from './names.ts';
import type { NewsroomSettings } from './settings.ts';

export interface StatefulStackProps extends StackProps {
  readonly settings: NewsroomSettings;
}

/**
 * What must never be lost: the editors' drafts (every version), the article table, and the site bucket with
 * the logs of both buckets. Everything here is retained when the stack is deleted.
 */
export class StatefulStack extends Stack {
  readonly drafts: Bucket;
  readonly site: Bucket;
  readonly accessLogs: Bucket;
  readonly table: TableV2;
  readonly comments: TableV2;
  readonly editors: UserPool;
  readonly names: ResourceNames;
  readonly edgeRules: KeyValueStore;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const names = resourceNames(settings.resourcePrefix);
    this.names = names;

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      bucketName: names.accessLogsBucket,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logs are delivered with an ACL, so this one bucket keeps ACLs enabled.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(settings.accessLogRetentionDays) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket; logging it into itself would loop.',
    });

    this.drafts = new Bucket(this, 'Drafts', {
      bucketName: names.draftsBucket,
      versioned: true,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'drafts/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          noncurrentVersionExpiration: Duration.days(settings.draftVersionRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      // Every version is locked for a while in governance mode: not even an administrator's script can
      // delete it for good, only the break-glass role (which may bypass governance). Chosen over AWS Backup:
      // the versions already kept are the copy, so there is nothing more to store, restore or watch.
      objectLockDefaultRetention: ObjectLockRetention.governance(Duration.days(settings.draftLockDays)),
    });
    this.protectDrafts(settings);
    // The desk's browser uploads drafts and photos straight here, by presigned URL, from the site's origin.
    const cors = deskUploadCors([new URL(settings.site.siteUrl).origin]);
    this.drafts.addCorsRule({
      allowedOrigins: cors.AllowedOrigins,
      allowedMethods: [HttpMethods.PUT],
      allowedHeaders: cors.AllowedHeaders,
      exposedHeaders: cors.ExposeHeaders,
      maxAge: cors.MaxAgeSeconds,
    });

    // The editors who may use the desk: an admin creates each one (no self sign-up); kept with the drafts.
    this.editors = new UserPool(this, 'Editors', {
      userPoolName: `${settings.resourcePrefix}-editors`,
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      standardAttributes: { fullname: { required: false, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    Validations.of(this.editors).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is offered (TOTP) and can be required per editor by an admin; a provincial newsroom has editors without smartphones, so it is not forced on all.',
    });
    Validations.of(this.editors).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        "The Plus plan's threat protection is priced per user for risks a small admin-created editor list does not have; the Essentials plan's password policy and optional TOTP apply.",
    });
    Validations.of(this.editors).acknowledge({
      id: 'AwsSolutions-COG3',
      reason:
        "Cognito's threat protection is a paid feature plan; the desk's accounts are created by an admin, few and known, with a strong password policy.",
    });
    const deskClient = this.editors.addClient('Desk', {
      authFlows: { userPassword: true },
      generateSecret: false,
      idTokenValidity: Duration.hours(1),
      preventUserExistenceErrors: true,
    });
    new StringParameter(this, 'DeskUserPoolId', {
      parameterName: names.deskUserPoolParameter,
      stringValue: this.editors.userPoolId,
      description: "The desk's Cognito user pool",
    });
    new StringParameter(this, 'DeskClientId', {
      parameterName: names.deskClientParameter,
      stringValue: deskClient.userPoolClientId,
      description: "The desk's Cognito app client",
    });

    // Versioned, so that a render or a rebuild gone wrong can be undone page by page; replaced and deleted
    // versions expire (readers only ever get the current one: CloudFront reads without a version id).
    this.site = new Bucket(this, 'Site', {
      bucketName: names.siteBucket,
      versioned: true,
      lifecycleRules: [
        {
          noncurrentVersionExpiration: Duration.days(settings.siteVersionRetentionDays),
          expiredObjectDeleteMarker: true,
        },
      ],
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'site/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudFront reads the site through Origin Access Control. The distribution lives in the pipeline stack;
    // naming its id here would make the two stacks depend on each other, so the grant is to this account's
    // distributions.
    this.site.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudFrontOriginAccessControlRead',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [this.site.arnForObjects('*')],
        conditions: {
          StringEquals: { 'AWS:SourceAccount': this.account },
          ArnLike: { 'AWS:SourceArn': `arn:${this.partition}:cloudfront::${this.account}:distribution/*` },
        },
      }),
    );

    // Redirects of renamed articles and 410s of removed ones: old links must keep working across
    // deployments, so the store lives here and is retained.
    this.edgeRules = new KeyValueStore(this, 'EdgeRules', {
      keyValueStoreName: `${settings.resourcePrefix}-edge-rules`,
      comment: 'Redirects (301) and removals (410) by reader path',
    });
    this.edgeRules.applyRemovalPolicy(RemovalPolicy.RETAIN);
    new StringParameter(this, 'EdgeRulesStoreArn', {
      parameterName: names.edgeRulesStoreParameter,
      stringValue: this.edgeRules.keyValueStoreArn,
      description: 'ARN of the CloudFront KeyValueStore with the edge rules',
    });

    const { indexes, teaserAttributes, uploadAttributes, archiveAttributes } = ARTICLE_TABLE;
    this.table = new TableV2(this, 'Articles', {
      tableName: names.articleTable,
      partitionKey: { name: ARTICLE_TABLE.partitionKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: indexes.byTime.name,
          partitionKey: { name: indexes.byTime.partitionKey, type: AttributeType.STRING },
          sortKey: { name: indexes.byTime.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...teaserAttributes],
        },
        {
          indexName: indexes.bySection.name,
          partitionKey: { name: indexes.bySection.partitionKey, type: AttributeType.STRING },
          sortKey: { name: indexes.bySection.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...teaserAttributes],
        },
        {
          indexName: indexes.byDraft.name,
          partitionKey: { name: indexes.byDraft.partitionKey, type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
        {
          indexName: indexes.byTag.name,
          partitionKey: { name: indexes.byTag.partitionKey, type: AttributeType.STRING },
          sortKey: { name: indexes.byTag.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...teaserAttributes],
        },
        {
          indexName: indexes.byUpload.name,
          partitionKey: { name: indexes.byUpload.partitionKey, type: AttributeType.STRING },
          sortKey: { name: indexes.byUpload.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...uploadAttributes],
        },
        {
          indexName: indexes.byArchivePage.name,
          partitionKey: { name: indexes.byArchivePage.partitionKey, type: AttributeType.STRING },
          sortKey: { name: indexes.byArchivePage.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...archiveAttributes],
        },
      ],
    });
    // Readers' comments: their own table, so that the comments function can be granted it and no more.
    const { moderation } = COMMENT_TABLE.indexes;
    this.comments = new TableV2(this, 'Comments', {
      tableName: names.commentTable,
      partitionKey: { name: COMMENT_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: COMMENT_TABLE.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Posting counters and the like go on their own; a comment has no expiry.
      timeToLiveAttribute: COMMENT_TABLE.timeToLive,
      globalSecondaryIndexes: [
        {
          indexName: moderation.name,
          partitionKey: { name: moderation.partitionKey, type: AttributeType.STRING },
          sortKey: { name: moderation.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
      ],
    });
  }

  /**
   * No single mistake wipes the drafts: deleting a version for good, or switching off what keeps versions
   * (versioning, lifecycle, the lock, this policy), is denied to everyone but the break-glass role; the
   * settings that the stack itself manages may also change through a deployment (CloudFormation's role).
   */
  private protectDrafts(settings: NewsroomSettings): void {
    const breakGlass = settings.breakGlassRoleArn ? [settings.breakGlassRoleArn] : [];
    // The synthesizer's ARN holds `${AWS::AccountId}`-style placeholders for CloudFormation to substitute:
    // without Fn::Sub the condition would compare against that text, and deny every deployment.
    const deployer =
      this.synthesizer instanceof DefaultStackSynthesizer
        ? [Fn.sub(this.synthesizer.cloudFormationExecutionRoleArn)]
        : [];
    const deny = (sid: string, actions: string[], resources: string[], except: string[]) =>
      new PolicyStatement({
        sid,
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions,
        resources,
        ...(except.length > 0 ? { conditions: { ArnNotLike: { 'aws:PrincipalArn': except } } } : {}),
      });
    this.drafts.addToResourcePolicy(
      deny('DraftVersionsAreKept', [...DRAFT_VERSION_ACTIONS], [this.drafts.arnForObjects('*')], breakGlass),
    );
    this.drafts.addToResourcePolicy(
      deny(
        'DraftsBucketStaysProtected',
        [...DRAFT_BUCKET_ACTIONS],
        [this.drafts.bucketArn],
        [...breakGlass, ...deployer],
      ),
    );
  }
}

/** What permanently removes a draft version: denied to all but the break-glass role. */
export const DRAFT_VERSION_ACTIONS = ['s3:DeleteObjectVersion', 's3:BypassGovernanceRetention'] as const;
/** What would stop versions being kept, or remove the bucket: denied to all but break-glass and deployments. */
export const DRAFT_BUCKET_ACTIONS = [
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:DeleteBucket',
] as const;
