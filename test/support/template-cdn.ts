import type { SiteStore } from '#shared/ports.ts';
import { LocalCdn } from '../../local/cdn.ts';
import { awsShapedResolver, lambdaFunctions, readCloudAssembly } from '../../local/cloud-assembly.ts';
import { distributionModels } from '../../local/distribution.ts';
import { httpApiModels, LocalHttpApi } from '../../local/http-api.ts';
import { LocalFunctionRuntime } from '../../local/lambda/runtime.ts';
import { synthesize } from '../../local/synth.ts';

/**
 * The distribution of the synthesized app in front of a site store: its behaviours, policies and viewer-request
 * function from the template, the site bucket origin read from `site`, and the not-found origin its own
 * bundle (the other APIs are not reached by the paths these tests ask for).
 */
export async function templateCdn(options: {
  readonly site: SiteStore;
  readonly edgeRules: (key: string) => Promise<string | undefined>;
  readonly caching?: boolean;
  readonly now?: () => number;
}): Promise<{ cdn: LocalCdn; stop: () => Promise<void> }> {
  const assembly = readCloudAssembly(await synthesize());
  const resolver = awsShapedResolver({ assembly });
  const [distribution] = distributionModels(assembly, resolver);
  if (!distribution) throw new Error('no distribution in the template');
  const runtimes = new Map(
    lambdaFunctions(assembly, resolver).map((fn) => [
      fn.arn,
      new LocalFunctionRuntime({ fn, serviceEnvironment: { AWS_REGION: 'us-east-1' } }),
    ]),
  );
  const apis = new Map(
    httpApiModels(assembly, resolver).map((model) => [
      model.id,
      new LocalHttpApi({
        model,
        invoke: (arn, event) => {
          const runtime = runtimes.get(arn);
          if (!runtime) throw new Error(`no function ${arn}`);
          return runtime.invoke(event);
        },
      }),
    ]),
  );
  const cdn = new LocalCdn({
    distribution,
    ...(options.caching === undefined ? {} : { caching: options.caching }),
    ...(options.now ? { now: options.now } : {}),
    keyValueStore: (_storeId, key) => options.edgeRules(key),
    origins: {
      s3: async (_domain, key) => {
        const found = await options.site.get(key);
        if (!found) return undefined;
        return {
          bytes: found.bytes,
          ...(found.contentType ? { contentType: found.contentType } : {}),
          ...(found.cacheControl ? { cacheControl: found.cacheControl } : {}),
          ...(found.etag ? { etag: `"${found.etag}"` } : {}),
        };
      },
      http: async (domain, request) => {
        const api = apis.get(domain.split('.')[0] ?? '');
        if (!api) throw new Error(`no origin ${domain}`);
        return api.handle(request);
      },
    },
  });
  return { cdn, stop: async () => Promise.all([...runtimes.values()].map((r) => r.stop())).then(() => {}) };
}
