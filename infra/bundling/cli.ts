/**
 * `node infra/bundling/cli.ts <entry> <outdir> [native module...]`: bundles one function. The CDK's local
 * bundling hook is synchronous and esbuild plugins need its asynchronous API, so the CDK runs this in a
 * child process (compiled to JavaScript once, see pipeline-function.ts; `NEWSROOM_ROOT` names the checkout).
 */
import { bundleFunction } from './function-bundle.ts';

const [entry, outdir, ...nativeModules] = process.argv.slice(2);
if (!entry || !outdir) {
  console.error('usage: cli.ts <entry> <outdir> [native module...]');
  process.exit(2);
}
await bundleFunction({
  entry,
  outdir,
  nativeModules,
  ...(process.env.NEWSROOM_ROOT ? { root: process.env.NEWSROOM_ROOT } : {}),
});
