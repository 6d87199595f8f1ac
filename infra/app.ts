import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PipelineStack } from './pipeline-stack.ts';
import { readSettings } from './settings.ts';
import { StatefulStack } from './stateful-stack.ts';

/** The whole deployment: the stateful stack and the pipeline stack, checked by cdk-nag's AWS Solutions rules. */
export function buildApp(app: App): { stateful: StatefulStack; pipeline: PipelineStack } {
  const settings = readSettings(app);
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const stateful = new StatefulStack(app, 'NewsroomState', { settings, env });
  const pipeline = new PipelineStack(app, 'NewsroomPipeline', { settings, env });
  pipeline.addStackDependency(stateful, 'the pipeline uses the buckets and table the stateful stack creates');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, pipeline };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  buildApp(app);
  app.synth();
}
