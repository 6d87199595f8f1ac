// `npm run build`: runs the build command compiled to JavaScript (dist/build.mjs), so that no TypeScript is
// compiled while it runs. The bundle is made (by esbuild, in under a second) when it is missing or older
// than the code it comes from; otherwise it is run as it is.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'build.mjs');

/** The newest modification time of the sources the bundle is made from. */
function newestSource() {
  let newest = statSync(join(root, 'package-lock.json')).mtimeMs;
  for (const folder of ['cli', 'shared']) {
    for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts'))
        newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestSource()) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'cli', 'build.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    // sharp loads its native binding at run time: it stays a package.
    external: ['sharp'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
}
// The bundle reads its arguments from process.argv, as `node dist/build.mjs <drafts> <out>` would.
await import(pathToFileURL(bundle).href);
