import { App } from 'aws-cdk-lib';
import { NewsroomStack } from './newsroom-stack.ts';
import { readSettings } from './settings.ts';

const app = new App();
new NewsroomStack(app, 'Newsroom', {
  settings: readSettings(app),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
