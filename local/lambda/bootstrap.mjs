// One Lambda execution environment, as the Node.js managed runtime runs one: the module `_HANDLER` names is
// loaded from LAMBDA_TASK_ROOT once (init), then invocations arrive one at a time (here over IPC from the
// local stack) and each gets the handler's result or its error. A failure at init is reported and the
// environment ends, as Lambda reports Runtime.ImportModuleError / an init error for every invocation.
import dns from 'node:dns';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// Names under `localhost` are the loopback address (RFC 6761), as systemd-resolved and browsers answer but
// Debian's resolver does not: an SDK that puts a label before the local endpoint's host (the KeyValueStore
// client prefixes the account id) reaches it.
const lookup = dns.lookup;
dns.lookup = (hostname, options, callback) => {
  const done = typeof options === 'function' ? options : callback;
  const opts =
    typeof options === 'function' ? {} : typeof options === 'number' ? { family: options } : options;
  if (typeof hostname === 'string' && hostname.endsWith('.localhost')) {
    return opts?.all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4);
  }
  return lookup(hostname, options, callback);
};

const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const [moduleName, exportName] = (process.env._HANDLER ?? 'index.handler').split('.');
const send = (message) => new Promise((resolve) => process.send(message, resolve));
const described = (err) => ({
  errorType: err?.name ?? 'Error',
  errorMessage: err?.message ?? String(err),
  stack: typeof err?.stack === 'string' ? err.stack.split('\n') : [],
});

let handler;
try {
  const file = ['.mjs', '.js', '.cjs'].map((ext) => join(root, `${moduleName}${ext}`)).find(existsSync);
  if (!file)
    throw Object.assign(new Error(`Cannot find module '${moduleName}'`), {
      name: 'Runtime.ImportModuleError',
    });
  const loaded = await import(pathToFileURL(file).href);
  handler = loaded[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${moduleName}.${exportName} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
} catch (err) {
  await send({ type: 'init-error', error: described(err) });
  process.exit(1);
}

process.on('message', async ({ id, event, deadline, requestId, functionArn }) => {
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    invokedFunctionArn: functionArn,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(event, context);
    await send({ type: 'result', id, result: result === undefined ? null : result });
  } catch (err) {
    await send({ type: 'error', id, error: described(err) });
  }
});
await send({ type: 'ready' });
