import { Aws } from 'aws-cdk-lib';

/**
 * Physical names of the stateful resources. Both stacks derive them from the same prefix, account and
 * region instead of exporting them from one stack to the other, so the pipeline stack can be replaced or
 * removed at any time without CloudFormation exports pinning the stateful stack.
 */
export interface ResourceNames {
  readonly draftsBucket: string;
  readonly siteBucket: string;
  readonly accessLogsBucket: string;
  readonly articleTable: string;
  readonly commentTable: string;
  /** SSM parameters holding the desk's Cognito user pool id and app client id. */
  readonly deskUserPoolParameter: string;
  readonly deskClientParameter: string;
  /** SSM parameter holding the ARN of the edge rules store (a KeyValueStore's ARN cannot be derived). */
  readonly edgeRulesStoreParameter: string;
}

export function resourceNames(prefix: string): ResourceNames {
  const suffix = `${Aws.ACCOUNT_ID}-${Aws.REGION}`;
  return {
    draftsBucket: `${prefix}-drafts-${suffix}`,
    siteBucket: `${prefix}-site-${suffix}`,
    accessLogsBucket: `${prefix}-logs-${suffix}`,
    articleTable: `${prefix}-articles`,
    commentTable: `${prefix}-comments`,
    edgeRulesStoreParameter: `/${prefix}/edge-rules-store-arn`,
    deskUserPoolParameter: `/${prefix}/desk-user-pool-id`,
    deskClientParameter: `/${prefix}/desk-client-id`,
  };
}
