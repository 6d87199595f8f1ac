import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module at `moduleUrl` (pass the caller's `import.meta.url`). Bundled, that is
 * the bundle itself. From TypeScript source (`npm start` runs under tsx), the worker registers tsx's loader
 * first: Node 20 does not pass `--import` loaders on to worker threads.
 */
export function startModuleWorker(moduleUrl: string, workerData: unknown): Worker {
  const self = new URL(moduleUrl);
  if (!self.pathname.endsWith('.ts')) return new Worker(self, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(self.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
