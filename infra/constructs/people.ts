import { CfnOutput, Stack } from 'aws-cdk-lib';
import { Effect, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { COMMENT_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { REPORTS_PREFIX } from '#shared/ports.ts';
import { acknowledgeWildcardResources } from '../nag.ts';

export interface PeopleProps {
  readonly drafts: IBucket;
  readonly commentTableName: string;
  readonly renderJobs: IQueue;
}

/**
 * What the newsroom's people may do with their own AWS credentials, as managed policies ops attach to
 * their groups (or permission sets): editors put drafts and photos in and read the reports, and may not
 * write a report; moderators decide comments (`npm run comments`). The local stack gives its editor and
 * moderator exactly these.
 */
export class People extends Construct {
  readonly editors: ManagedPolicy;
  readonly moderators: ManagedPolicy;

  constructor(scope: Construct, id: string, props: PeopleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const drafts = props.drafts;
    this.editors = new ManagedPolicy(this, 'Editors', {
      description: 'Editors: upload, replace and take down drafts and photos; read the reports',
      statements: [
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [drafts.bucketArn] }),
        new PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          resources: [drafts.arnForObjects('*')],
        }),
        // The reports are the pipeline's word on each draft: nobody else writes or removes them.
        new PolicyStatement({
          effect: Effect.DENY,
          actions: ['s3:PutObject', 's3:DeleteObject'],
          resources: [drafts.arnForObjects(`${REPORTS_PREFIX}*`)],
        }),
      ],
    });
    acknowledgeWildcardResources(
      this.editors,
      [drafts.arnForObjects('*')],
      'Editors work on every draft and photo of the bucket; reports are denied to them.',
    );
    const table = `arn:${stack.partition}:dynamodb:${stack.region}:${stack.account}:table/${props.commentTableName}`;
    this.moderators = new ManagedPolicy(this, 'Moderators', {
      description: "Moderators: list, approve, reject and delete readers' comments, bar a network",
      statements: [
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${table}/index/${COMMENT_TABLE.indexes.moderation.name}`],
        }),
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem'],
          resources: [table],
        }),
        // An approved or removed comment renders its article's page again.
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.renderJobs.queueArn] }),
      ],
    });
    new CfnOutput(stack, 'EditorsPolicyArn', { value: this.editors.managedPolicyArn });
    new CfnOutput(stack, 'ModeratorsPolicyArn', { value: this.moderators.managedPolicyArn });
  }
}
