import { App, Aspects, type CfnResource, type IAspect, Stack } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../../infra/app.ts';

/**
 * The real CDK app with one grant taken away, as a change to the app might: the render role may no longer
 * write pages to the site bucket (`s3:PutObject` leaves its site statement). Everything else is the app's.
 */
class WithoutRenderPageWrites implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof CfnPolicy) || !node.node.path.includes('/Render/Role/')) return;
    const document = Stack.of(node).resolve(node.policyDocument) as {
      Statement: { Action: string | string[]; Resource: unknown }[];
    };
    for (const statement of document.Statement) {
      const actions = [statement.Action].flat();
      const site = JSON.stringify(statement.Resource).includes('-site-');
      if (site && actions.includes('s3:PutObject'))
        statement.Action = actions.filter((a) => a !== 's3:PutObject');
    }
    (node as CfnResource).addPropertyOverride('PolicyDocument', document);
  }
}

const app = new App();
buildApp(app);
Aspects.of(app).add(new WithoutRenderPageWrites());
app.synth();
