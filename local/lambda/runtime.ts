import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LambdaFunction } from '../cloud-assembly.ts';

const BOOTSTRAP = join(dirname(fileURLToPath(import.meta.url)), 'bootstrap.mjs');

/** A function's failure as Lambda reports it to its caller (`errorType`, `errorMessage`). */
export class FunctionError extends Error {
  override readonly name = 'FunctionError';
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: readonly string[] = [],
  ) {
    super(`${functionName}: ${errorType}: ${errorMessage}`);
  }
}

export interface RuntimeOptions {
  readonly fn: LambdaFunction;
  /**
   * What the Lambda service adds to the function's own variables: its role's credentials and the SDK's
   * endpoints for the stand-ins (`AWS_ENDPOINT_URL_<SERVICE>`), which the SDK reads by itself.
   */
  readonly serviceEnvironment: Readonly<Record<string, string>>;
  /** How many invocations may run at once, each in its own environment (process). */
  readonly concurrency?: number;
  /** Where the function's log lines go (stdout and stderr, as CloudWatch Logs gets them). */
  readonly onLog?: (line: string) => void;
}

interface Environment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy: boolean;
}

type Reply =
  | { type: 'ready' }
  | { type: 'init-error'; error: { errorType: string; errorMessage: string; stack: string[] } }
  | { type: 'result'; id: string; result: unknown }
  | { type: 'error'; id: string; error: { errorType: string; errorMessage: string; stack: string[] } };

/**
 * One function as the Lambda service runs it, on this machine: its bundle from the cloud assembly, loaded
 * in a process of its own with exactly its template environment plus what Lambda sets (region, name,
 * memory, handler, credentials); one invocation at a time per environment, more environments up to the
 * concurrency; an invocation past the function's timeout ends its environment, as Lambda's does, and fails
 * with `Sandbox.Timedout`. An environment that failed at init fails every invocation that asked for it.
 */
export class LocalFunctionRuntime {
  readonly #environments: Environment[] = [];
  readonly #waiting: (() => void)[] = [];
  #stopped = false;

  constructor(private readonly options: RuntimeOptions) {}

  get fn(): LambdaFunction {
    return this.options.fn;
  }

  /** The whole environment a process of this function gets: nothing of this process's own. */
  environment(): Record<string, string> {
    const { fn } = this.options;
    return {
      ...fn.environment,
      ...lambdaReservedVariables(fn),
      ...this.options.serviceEnvironment,
    };
  }

  /** Starts one environment now (a warm start for the first invocation); resolves when it is ready. */
  async warm(): Promise<void> {
    if (this.#environments.length === 0) await this.#start().ready;
  }

  /** Invokes the function with an event (RequestResponse), as Lambda does: its result, or FunctionError. */
  async invoke(event: unknown): Promise<unknown> {
    const environment = await this.#acquire();
    try {
      await environment.ready;
      return await this.#run(environment, event);
    } finally {
      environment.busy = false;
      this.#waiting.shift()?.();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#environments.splice(0).map((e) => ended(e.child)));
  }

  async #acquire(): Promise<Environment> {
    for (;;) {
      if (this.#stopped) throw new FunctionError(this.fn.functionName, 'Local.Stopped', 'the stack stopped');
      const idle = this.#environments.find((e) => !e.busy && e.child.exitCode === null && !e.child.killed);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.#environments.length < (this.options.concurrency ?? 1)) {
        const started = this.#start();
        started.busy = true;
        return started;
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #start(): Environment {
    const { fn, onLog } = this.options;
    const child = fork(BOOTSTRAP, [], {
      cwd: fn.codeDir,
      env: this.environment(),
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) onLog?.(line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        if (reply.type === 'ready') {
          child.off('message', onMessage);
          resolve();
        } else if (reply.type === 'init-error') {
          child.off('message', onMessage);
          reject(new FunctionError(fn.functionName, reply.error.errorType, reply.error.errorMessage));
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) =>
        reject(new FunctionError(fn.functionName, 'Runtime.ExitError', `exited at init (code ${code})`)),
      );
    });
    // A rejection nobody awaits yet must not end the stack: invocations see it.
    ready.catch(() => {});
    const environment: Environment = { child, ready, busy: false };
    this.#environments.push(environment);
    child.once('exit', () => {
      const at = this.#environments.indexOf(environment);
      if (at !== -1) this.#environments.splice(at, 1);
      this.#waiting.shift()?.();
    });
    return environment;
  }

  #run(environment: Environment, event: unknown): Promise<unknown> {
    const { fn } = this.options;
    const id = randomUUID();
    const timeoutMs = fn.timeoutSeconds * 1000;
    const { child } = environment;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        child.kill('SIGKILL');
        reject(
          new FunctionError(
            fn.functionName,
            'Sandbox.Timedout',
            `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          ),
        );
      }, timeoutMs);
      const onMessage = (reply: Reply) => {
        if (!('id' in reply) || reply.id !== id) return;
        done();
        if (reply.type === 'result') resolve(reply.result);
        else reject(new FunctionError(fn.functionName, reply.error.errorType, reply.error.errorMessage));
      };
      const onExit = (code: number | null) => {
        done();
        reject(new FunctionError(fn.functionName, 'Runtime.ExitError', `exited (code ${code})`));
      };
      const done = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, event, deadline: Date.now() + timeoutMs, requestId: id, functionArn: fn.arn });
    });
  }
}

/**
 * What the Lambda service sets in every function's environment besides the function's own variables
 * (AWS's "defined runtime environment variables"), for the local runtime.
 */
export function lambdaReservedVariables(fn: LambdaFunction): Record<string, string> {
  return {
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${fn.logicalId}`,
    LAMBDA_TASK_ROOT: fn.codeDir,
    LAMBDA_RUNTIME_DIR: dirname(BOOTSTRAP),
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: '/usr/local/bin:/usr/bin:/bin',
  };
}

function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
