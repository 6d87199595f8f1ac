import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface FunctionBundle {
  /** Path of the handler module; its `handler` export is the Lambda's entry (`index.handler`). */
  readonly entry: string;
  /** Folder that receives `index.mjs`, its source map and the native modules. */
  readonly outdir: string;
  /** Packages with native code, installed beside the bundle for Linux on arm64 instead of bundled. */
  readonly nativeModules?: readonly string[];
  /** The repository's root; only needed where this module runs bundled itself. */
  readonly root?: string;
}

/**
 * The esbuild options of every function: one minified ESM file for Node 24 with the tested AWS SDK inside
 * it (not the runtime's copy), and two cuts that keep the SDK to what a Lambda uses:
 * - credentials come from the environment the Lambda runtime sets for the function's role, so the SDK's
 *   default chain (profiles, SSO, STS, the instance metadata service: some 110 KB a function) is left out;
 * - the SDK's generated schemas get literal keys, so unused operations are dropped (see `literalSchemaKeys`).
 */
export function functionBuildOptions(
  entry: string,
  outfile: string,
  external: readonly string[] = [],
  /** The repository's root; only needed where this module runs bundled itself (the benchmark). */
  root = ROOT,
): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    external: [...external],
    alias: { '@aws-sdk/credential-provider-node': join(root, 'infra/bundling/environment-credentials.ts') },
    plugins: [literalSchemaKeys],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'error',
  };
}

/**
 * The SDK's generated schemas write trait objects with computed keys (`{ [_h]: [...] }`, where `_h` is a
 * string constant of the same file). esbuild cannot prove such an object free of side effects, so it keeps
 * the schema of every operation of every client: aws/aws-sdk-js-v3#7607, fixed upstream by emitting literal
 * keys (smithy-lang/smithy-typescript#1889). This applies that fix while bundling: each computed key that
 * names a string constant of its file becomes that string. The objects are the same; only tree-shaking changes.
 */
export const literalSchemaKeys: Plugin = {
  name: 'literal-schema-keys',
  setup(b) {
    b.onLoad(
      { filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:.*[\\/])?schemas[\\/]schemas_\d+\.js$/ },
      async (args) => {
        const source = await readFile(args.path, 'utf8');
        return { contents: withLiteralKeys(source), loader: 'js' };
      },
    );
  },
};

/** Replaces the object key `[_name]:` by `"value":` wherever `const _name = "value";` is declared at the top of the file. */
export function withLiteralKeys(source: string): string {
  const strings = new Map<string, string>();
  for (const m of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    if (m[1] && m[2]) strings.set(m[1], m[2]);
  }
  return source.replace(/([{,]\s*)\[(_\w+)\]:/g, (key, before: string, name: string) => {
    const value = strings.get(name);
    return value === undefined ? key : `${before}${value}:`;
  });
}

/** Bundles one function as it is deployed; returns the bundle's size in bytes. */
export async function bundleFunction(fn: FunctionBundle): Promise<{ bytes: number }> {
  mkdirSync(fn.outdir, { recursive: true });
  const outfile = join(fn.outdir, 'index.mjs');
  const root = fn.root ?? ROOT;
  await build(functionBuildOptions(fn.entry, outfile, fn.nativeModules, root));
  if (fn.nativeModules?.length) installNativeModules(fn.outdir, fn.nativeModules, root);
  return { bytes: readFileSync(outfile).byteLength };
}

/**
 * Installs native packages beside the bundle as the CDK's NodejsFunction does: the versions this project
 * declares, resolved by its lock file, with npm told to fetch the binaries for the Lambda's platform
 * (Linux, arm64, glibc) rather than the building machine's.
 */
function installNativeModules(outdir: string, modules: readonly string[], root: string): void {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const dependencies: Record<string, string> = {};
  for (const name of modules) {
    const version = manifest.dependencies?.[name];
    if (!version)
      throw new Error(`${name} is bundled as a native module but is not a dependency in package.json`);
    dependencies[name] = version;
  }
  const packageJson = JSON.stringify({ dependencies });
  const lock = readFileSync(join(root, 'package-lock.json'));
  // The same packages for the same lock file are the same bytes: installed once, copied into each bundle.
  const key = createHash('sha256').update(packageJson).update(lock).update('linux-arm64-glibc').digest('hex');
  const cached = join(
    process.env.NEWSROOM_NATIVE_CACHE ?? join(root, 'node_modules', '.cache', 'newsroom-native'),
    key.slice(0, 20),
  );
  if (!existsSync(join(cached, 'node_modules'))) {
    const building = `${cached}.${process.pid}.partial`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    writeFileSync(join(building, 'package.json'), packageJson);
    writeFileSync(join(building, 'package-lock.json'), lock);
    execFileSync('npm', ['ci', '--loglevel', 'error', '--no-audit', '--no-fund'], {
      cwd: building,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, npm_config_os: 'linux', npm_config_cpu: 'arm64', npm_config_libc: 'glibc' },
    });
    if (existsSync(cached)) rmSync(building, { recursive: true, force: true });
    else renameSync(building, cached);
  }
  writeFileSync(join(outdir, 'package.json'), packageJson);
  copyFileSync(join(root, 'package-lock.json'), join(outdir, 'package-lock.json'));
  cpSync(join(cached, 'node_modules'), join(outdir, 'node_modules'), {
    recursive: true,
    verbatimSymlinks: true,
  });
}
