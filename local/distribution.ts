import {
  type CloudAssembly,
  type Found,
  type LocalResolver,
  resolveValue,
  resourcesOfType,
  TemplateError,
} from './cloud-assembly.ts';

/** A cache policy's TTLs and what it puts in the cache key (and so forwards). */
export interface CachePolicy {
  readonly min: number;
  readonly default: number;
  readonly max: number;
  /** Header names (lower case) in the key. */
  readonly headers: readonly string[];
  readonly queryStrings: 'none' | 'all' | readonly string[];
}

/** What an origin request policy forwards besides the cache key. */
export interface OriginRequestPolicy {
  readonly headers: readonly string[];
  readonly queryStrings: 'none' | 'all' | readonly string[];
}

export interface HeaderSetting {
  readonly name: string;
  readonly value: string;
  /** Replaces the origin's own header of that name (otherwise only added when the origin sent none). */
  readonly override: boolean;
}

export interface Behavior {
  /** `*` for the default behaviour, which comes last. */
  readonly pathPattern: string;
  readonly allowedMethods: readonly string[];
  readonly targetOriginId: string;
  readonly cache: CachePolicy;
  readonly originRequest?: OriginRequestPolicy;
  readonly responseHeaders: readonly HeaderSetting[];
  /** The viewer-request function's code, as deployed (placeholders filled in). */
  readonly viewerRequest?: { readonly name: string; readonly code: string };
}

export type Origin =
  | { readonly kind: 's3'; readonly id: string; readonly domainName: string }
  | {
      readonly kind: 'custom';
      readonly id: string;
      readonly domainName: string;
      readonly originPath: string;
      readonly headers: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: 'group';
      readonly id: string;
      readonly members: readonly string[];
      readonly failoverStatusCodes: readonly number[];
    };

export interface ErrorResponse {
  readonly errorCode: number;
  readonly responseCode?: number;
  readonly responsePagePath?: string;
  readonly errorCachingMinTtl: number;
}

/** A CloudFront distribution as its template describes it, references resolved to the local world. */
export interface DistributionModel {
  readonly id: string;
  readonly logicalId: string;
  readonly defaultRootObject?: string;
  /** In the order CloudFront matches them; the default behaviour last. */
  readonly behaviors: readonly Behavior[];
  readonly origins: ReadonlyMap<string, Origin>;
  readonly errorResponses: readonly ErrorResponse[];
}

/** AWS's managed cache policies, by id (their settings are AWS's documentation's). */
const MANAGED_CACHE_POLICIES: Readonly<Record<string, CachePolicy>> = {
  // CachingOptimized
  '658327ea-f89d-4fab-a63d-7e88639e58f6': {
    min: 1,
    default: 86_400,
    max: 31_536_000,
    headers: [],
    queryStrings: 'none',
  },
  // CachingDisabled
  '4135ea2d-6df8-44a3-9df3-4b5a84be39ad': { min: 0, default: 0, max: 0, headers: [], queryStrings: 'none' },
};

type Json = Record<string, unknown>;

/** The distributions of the assembly, each as CloudFront would run it. */
export function distributionModels(assembly: CloudAssembly, resolver: LocalResolver): DistributionModel[] {
  return resourcesOfType(assembly, 'AWS::CloudFront::Distribution').map((found) => {
    const resolve = (v: unknown) => resolveValue(assembly, found.stack, v, resolver);
    const refTo = (v: unknown): Found | undefined => {
      const id = (v as { Ref?: string } | undefined)?.Ref;
      const resource = id ? found.stack.resources[id] : undefined;
      return id && resource ? { stack: found.stack, logicalId: id, resource } : undefined;
    };
    const config = (found.resource.Properties?.DistributionConfig ?? {}) as Json;
    const cachePolicy = (v: unknown): CachePolicy => {
      const own = refTo(v);
      if (!own) {
        const managed = MANAGED_CACHE_POLICIES[String(resolve(v))];
        if (!managed) throw new TemplateError(`cache policy ${JSON.stringify(v)} is not modelled locally`);
        return managed;
      }
      const c = resolve(own.resource.Properties?.CachePolicyConfig) as Json;
      const key = (c.ParametersInCacheKeyAndForwardedToOrigin ?? {}) as Json;
      return {
        min: Number(c.MinTTL ?? 0),
        default: Number(c.DefaultTTL ?? 86_400),
        max: Number(c.MaxTTL ?? 31_536_000),
        headers: headerList(key.HeadersConfig),
        queryStrings: queryStrings(key.QueryStringsConfig),
      };
    };
    const originRequestPolicy = (v: unknown): OriginRequestPolicy | undefined => {
      if (v === undefined) return undefined;
      const own = refTo(v);
      if (!own) throw new TemplateError(`origin request policy ${JSON.stringify(v)} is not modelled locally`);
      const c = resolve(own.resource.Properties?.OriginRequestPolicyConfig) as Json;
      return { headers: headerList(c.HeadersConfig), queryStrings: queryStrings(c.QueryStringsConfig) };
    };
    const responseHeaders = (v: unknown): HeaderSetting[] => {
      if (v === undefined) return [];
      const own = refTo(v);
      if (!own)
        throw new TemplateError(`response headers policy ${JSON.stringify(v)} is not modelled locally`);
      return headerSettings(resolve(own.resource.Properties?.ResponseHeadersPolicyConfig) as Json);
    };
    const viewerRequest = (associations: unknown): Behavior['viewerRequest'] => {
      const association = ((associations ?? []) as Json[]).find((a) => a.EventType === 'viewer-request');
      if (!association) return undefined;
      const id = (association.FunctionARN as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
      const fn = id ? found.stack.resources[id] : undefined;
      if (!id || !fn) throw new TemplateError('a viewer-request function the template does not define');
      return {
        name: id,
        code: String(resolveValue(assembly, found.stack, fn.Properties?.FunctionCode, resolver)),
      };
    };
    const behavior = (b: Json, pathPattern: string): Behavior => {
      const originRequest = originRequestPolicy(b.OriginRequestPolicyId);
      const vr = viewerRequest(b.FunctionAssociations);
      return {
        pathPattern,
        allowedMethods: (b.AllowedMethods as string[] | undefined) ?? ['GET', 'HEAD'],
        targetOriginId: String(b.TargetOriginId),
        cache: cachePolicy(b.CachePolicyId),
        ...(originRequest ? { originRequest } : {}),
        responseHeaders: responseHeaders(b.ResponseHeadersPolicyId),
        ...(vr ? { viewerRequest: vr } : {}),
      };
    };
    const origins = new Map<string, Origin>();
    for (const o of (config.Origins ?? []) as Json[]) {
      const id = String(o.Id);
      const domainName = String(resolve(o.DomainName));
      if (o.S3OriginConfig) origins.set(id, { kind: 's3', id, domainName });
      else {
        const headers = Object.fromEntries(
          ((o.OriginCustomHeaders ?? []) as Json[]).map((h) => [
            String(h.HeaderName).toLowerCase(),
            String(resolve(h.HeaderValue)),
          ]),
        );
        origins.set(id, { kind: 'custom', id, domainName, originPath: String(o.OriginPath ?? ''), headers });
      }
    }
    for (const g of ((config.OriginGroups as Json | undefined)?.Items ?? []) as Json[]) {
      const id = String(g.Id);
      origins.set(id, {
        kind: 'group',
        id,
        members: ((g.Members as Json).Items as Json[]).map((m) => String(m.OriginId)),
        failoverStatusCodes: (((g.FailoverCriteria as Json).StatusCodes as Json).Items as number[]) ?? [],
      });
    }
    return {
      id: resolver.ref(found),
      logicalId: found.logicalId,
      ...(config.DefaultRootObject ? { defaultRootObject: String(config.DefaultRootObject) } : {}),
      behaviors: [
        ...((config.CacheBehaviors ?? []) as Json[]).map((b) => behavior(b, String(b.PathPattern))),
        behavior(config.DefaultCacheBehavior as Json, '*'),
      ],
      origins,
      errorResponses: ((config.CustomErrorResponses ?? []) as Json[]).map((e) => ({
        errorCode: Number(e.ErrorCode),
        ...(e.ResponseCode !== undefined ? { responseCode: Number(e.ResponseCode) } : {}),
        ...(e.ResponsePagePath !== undefined ? { responsePagePath: String(e.ResponsePagePath) } : {}),
        errorCachingMinTtl: Number(e.ErrorCachingMinTTL ?? 10),
      })),
    };
  });
}

function headerList(config: unknown): string[] {
  const c = (config ?? {}) as Json;
  if (c.HeaderBehavior === 'none' || c.HeaderBehavior === undefined) return [];
  if (c.HeaderBehavior === 'whitelist') return ((c.Headers ?? []) as string[]).map((h) => h.toLowerCase());
  throw new TemplateError(`header behaviour ${String(c.HeaderBehavior)} is not modelled locally`);
}

function queryStrings(config: unknown): 'none' | 'all' | string[] {
  const c = (config ?? {}) as Json;
  if (c.QueryStringBehavior === 'all') return 'all';
  if (c.QueryStringBehavior === 'whitelist') return (c.QueryStrings ?? []) as string[];
  return 'none';
}

/** The headers a response headers policy sets, as CloudFront writes them. */
function headerSettings(config: Json): HeaderSetting[] {
  const out: HeaderSetting[] = [];
  const security = (config.SecurityHeadersConfig ?? {}) as Record<string, Json>;
  const add = (name: string, value: string, override: unknown) =>
    out.push({ name, value, override: override === true });
  const csp = security.ContentSecurityPolicy;
  if (csp) add('content-security-policy', String(csp.ContentSecurityPolicy), csp.Override);
  const hsts = security.StrictTransportSecurity;
  if (hsts) {
    add(
      'strict-transport-security',
      `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? '; includeSubDomains' : ''}${hsts.Preload ? '; preload' : ''}`,
      hsts.Override,
    );
  }
  if (security.ContentTypeOptions)
    add('x-content-type-options', 'nosniff', security.ContentTypeOptions.Override);
  const frame = security.FrameOptions;
  if (frame) add('x-frame-options', String(frame.FrameOption), frame.Override);
  const referrer = security.ReferrerPolicy;
  if (referrer) add('referrer-policy', String(referrer.ReferrerPolicy), referrer.Override);
  const xss = security.XSSProtection;
  if (xss)
    add('x-xss-protection', xss.Protection ? `1${xss.ModeBlock ? '; mode=block' : ''}` : '0', xss.Override);
  for (const h of ((config.CustomHeadersConfig as Json | undefined)?.Items ?? []) as Json[]) {
    add(String(h.Header).toLowerCase(), String(h.Value), h.Override);
  }
  return out;
}

/** Whether a path matches a behaviour's pattern, as CloudFront matches (`*` any run, `?` one character). */
export function matchesPathPattern(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );
  return regex.test(path);
}
