import { Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  ItemBatcher,
  JsonPath,
  LogLevel,
  Map as MapState,
  Pass,
  Result,
  S3JsonItemReader,
  S3ObjectsItemReader,
  StateMachine,
  StateMachineType,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag.ts';

export interface RebuildMachineProps {
  /** The function whose composition runs every step (`{"rebuildStep": …}`). */
  readonly ingest: IFunction;
  readonly drafts: IBucket;
  readonly site: IBucket;
  /** Batches in flight at once in each map. */
  readonly concurrency: number;
  readonly logRetention: RetentionDays;
}

/** Drafts per task of the apply map: a few seconds of work each, far inside the function's time. */
export const APPLY_BATCH = 25;
/** Views per task of the render map (a whole list is one view). */
export const RENDER_BATCH = 40;
/** Site objects per task of the sweep map. */
export const SWEEP_BATCH = 500;
/** Parallel scan segments for the articles taken down for good. */
export const WITHDRAWN_SEGMENTS = 16;

/**
 * The rebuild of a site of any size, on Step Functions: a Distributed Map applies the drafts bucket's
 * listing in batches, a reconcile catches removals whose events were lost, the articles taken down for
 * good answer 410 again, then a plan of every view (from what the batches found) is rendered by a second
 * Distributed Map and a third sweeps the site bucket of pages no view owns. Each task is one ingest
 * invocation running one step of `shared/use-cases/rebuild-steps.ts`, the code `npm run rebuild` runs in
 * one process. Progress is the map runs' item counts; a failed execution is redriven from where it failed.
 */
export class RebuildMachine extends Construct {
  readonly stateMachine: StateMachine;
  /** Where the steps hand on their work; it expires on its own. */
  readonly work: Bucket;

  constructor(scope: Construct, id: string, props: RebuildMachineProps) {
    super(scope, id);
    this.work = new Bucket(this, 'Work', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(14) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.work).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "It holds only a rebuild's intermediate lists of views, written by the ingest function and expired after 14 days: nothing to audit.",
    });

    const step = (name: string, task: Record<string, unknown>, resultPath: string = JsonPath.DISCARD) =>
      new LambdaInvoke(this, name, {
        lambdaFunction: props.ingest,
        payload: TaskInput.fromObject({ rebuildStep: task }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
        resultPath,
      }).addRetry({
        // Throttled by the function's concurrency, or a step that timed out: tried again, then the execution
        // fails and is redriven from there.
        errors: ['Lambda.TooManyRequestsException', 'States.Timeout', 'States.TaskFailed'],
        interval: Duration.seconds(5),
        maxAttempts: 3,
        backoffRate: 2,
      });
    const run = JsonPath.stringAt('$$.Execution.Name');
    const now = JsonPath.stringAt('$$.Execution.StartTime');

    const frame = step('Write the site frame', { step: 'frame' });
    const apply = new DistributedMap(this, 'Apply every draft', {
      itemReader: new S3ObjectsItemReader({ bucket: props.drafts }),
      // BatchInput is copied as it is written: its paths need their `.$`.
      itemBatcher: new ItemBatcher({
        maxItemsPerBatch: APPLY_BATCH,
        batchInput: { 'run.$': '$$.Execution.Name', 'now.$': '$$.Execution.StartTime' },
      }),
      maxConcurrency: props.concurrency,
      mapExecutionType: StateMachineType.EXPRESS,
      toleratedFailurePercentage: 0,
      resultPath: JsonPath.DISCARD,
    }).itemProcessor(
      step('Apply a batch of drafts', {
        step: 'apply',
        run: JsonPath.stringAt('$.BatchInput.run'),
        now: JsonPath.stringAt('$.BatchInput.now'),
        uploads: JsonPath.listAt('$.Items'),
      }),
    );
    const catchUp = step('Catch up with lost removals', { step: 'catch-up', now }, '$.catchUp');
    const segments = new Pass(this, 'Split the table', {
      result: Result.fromArray(Array.from({ length: WITHDRAWN_SEGMENTS }, (_, i) => i)),
      resultPath: '$.segments',
    });
    const withdrawn = new MapState(this, 'Answer 410 again', {
      itemsPath: '$.segments',
      itemSelector: { segment: JsonPath.numberAt('$$.Map.Item.Value'), of: WITHDRAWN_SEGMENTS },
      maxConcurrency: WITHDRAWN_SEGMENTS,
      resultPath: JsonPath.DISCARD,
    }).itemProcessor(
      step('Answer 410 for a part of the table', {
        step: 'withdrawn',
        segment: JsonPath.numberAt('$.segment'),
        of: JsonPath.numberAt('$.of'),
      }),
    );
    const plan = step('Plan every view', { step: 'plan', run }, '$.plan');
    const render = new DistributedMap(this, 'Render every view', {
      itemReader: new S3JsonItemReader({ bucket: this.work, key: JsonPath.stringAt('$.plan.key') }),
      itemBatcher: new ItemBatcher({ maxItemsPerBatch: RENDER_BATCH }),
      maxConcurrency: props.concurrency,
      mapExecutionType: StateMachineType.EXPRESS,
      toleratedFailurePercentage: 0,
      resultPath: JsonPath.DISCARD,
    }).itemProcessor(step('Render a batch of views', { step: 'render', views: JsonPath.listAt('$.Items') }));
    const sweep = new DistributedMap(this, 'Sweep the site', {
      itemReader: new S3ObjectsItemReader({ bucket: props.site }),
      itemSelector: { Key: JsonPath.stringAt('$$.Map.Item.Value.Key') },
      itemBatcher: new ItemBatcher({ maxItemsPerBatch: SWEEP_BATCH }),
      maxConcurrency: props.concurrency,
      mapExecutionType: StateMachineType.EXPRESS,
      toleratedFailurePercentage: 0,
      resultPath: JsonPath.DISCARD,
    }).itemProcessor(
      step('Sweep a batch of site objects', { step: 'sweep', objects: JsonPath.listAt('$.Items') }),
    );
    const finish = step('Finish', { step: 'finish' });

    const caughtUp = new Choice(this, 'Caught up?')
      .when(Condition.booleanEquals('$.catchUp.complete', false), catchUp)
      .otherwise(segments.next(withdrawn).next(plan).next(render).next(sweep).next(finish));
    const definition = frame.next(apply).next(catchUp).next(caughtUp);

    const logs = new LogGroup(this, 'Logs', { retention: props.logRetention });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(definition),
      stateMachineType: StateMachineType.STANDARD,
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
      comment: 'Regenerates the whole site from the drafts and the table (docs/operations.md)',
    });
    // The steps' work: written and read by the ingest function; the render map's reader reads the plan
    // (the item readers add their own grants: listing the drafts and site buckets, reading the plan).
    props.ingest.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.work.arnForObjects('rebuilds/*')],
      }),
    );
    props.ingest.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.work.bucketArn] }),
    );
    const role = this.stateMachine.role;
    acknowledgeWildcardResources(
      role,
      [`${props.ingest.functionArn}:*`],
      "Invoking the ingest function's versions and aliases (`:*`): that one function only.",
    );
    acknowledgeWildcardResources(
      role,
      [this.work.arnForObjects('*'), `arn:${Stack.of(this).partition}:s3:::${this.work.bucketName}/*`],
      "The render map reads the plan of views, whose key is named by the execution, in the rebuild's own bucket.",
    );
    acknowledgeWildcardResources(
      role,
      ['*'],
      'X-Ray segments and CloudWatch Logs log delivery take no resource: Step Functions documents these actions on `*`.',
    );
    const executions = `arn:${Stack.of(this).partition}:states:${Stack.of(this).region}:${Stack.of(this).account}:execution:${Fn.select(6, Fn.split(':', this.stateMachine.stateMachineArn))}`;
    acknowledgeWildcardResources(
      this.stateMachine,
      [`${executions}:*`, `${executions}/*:*`],
      "A Distributed Map starts its child executions, and stops or describes them: this state machine's own only.",
    );
  }
}
