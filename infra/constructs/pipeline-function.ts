import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUNDLER_SOURCE = join(ROOT, 'infra/bundling/cli.ts');
let bundler: string | undefined;

/**
 * The bundler (infra/bundling/cli.ts) compiled to one JavaScript file, once per synthesis: each function's
 * bundling then starts a plain `node`, not a TypeScript loader.
 */
function compiledBundler(): string {
  if (bundler) return bundler;
  const dir = join(ROOT, 'node_modules', '.cache', 'newsroom-bundler');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `cli-${process.pid}.mjs`);
  buildSync({
    entryPoints: [BUNDLER_SOURCE],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
  });
  process.once('exit', () => rmSync(out, { force: true }));
  bundler = out;
  return out;
}

export interface PipelineFunctionProps {
  /** Path of the handler module (its `handler` export is the entry). */
  readonly entry: string;
  readonly description: string;
  /** Powertools service name: the `service` field of every log line. */
  readonly service: string;
  readonly environment: Record<string, string>;
  /** Exactly the permissions this function uses, and nothing else. */
  readonly permissions: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly memorySize?: number;
  /** A fixed name, for a function whose ARN must be known before it exists (a schedule's target). */
  readonly functionName?: string;
  readonly timeout?: Duration;
  /**
   * Packages with native code, installed beside the bundle (for Linux on arm64, whatever machine builds
   * it) instead of bundled into it.
   */
  readonly nativeModules?: readonly string[];
}

/**
 * Every pipeline function's defaults in one place: current Node runtime on arm64, an ESM bundle with the
 * tested AWS SDK inside it (not the runtime's copy), source maps, its own log group and role (no managed
 * policies: only the statements it is given, plus writing its own logs and traces), JSON logs, tracing.
 */
export class PipelineFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (function role)`,
    });
    logGroup.grantWrite(this.role);
    for (const statement of props.permissions) this.role.addToPolicy(statement);
    const entry = resolve(props.entry);
    const nativeModules = props.nativeModules ?? [];
    this.fn = new LambdaFunction(this, 'Function', {
      // Bundled by `infra/bundling/function-bundle.ts` (see there for what it cuts from the AWS SDK); the
      // asset is named by a hash of the bundle, so an unchanged function is not uploaded again.
      code: Code.fromAsset(dirname(entry), {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: Runtime.NODEJS_24_X.bundlingImage,
          local: {
            tryBundle(outputDir) {
              execFileSync(process.execPath, [compiledBundler(), entry, outputDir, ...nativeModules], {
                stdio: ['ignore', 'inherit', 'inherit'],
                env: { ...process.env, NEWSROOM_ROOT: ROOT },
              });
              return true;
            },
          },
        },
      }),
      handler: 'index.handler',
      description: props.description,
      ...(props.functionName ? { functionName: props.functionName } : {}),
      role: this.role,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(60),
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.service,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...props.environment,
      },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray accepts trace segments only on Resource "*" (xray:PutTraceSegments, xray:PutTelemetryRecords).',
    });
  }
}
