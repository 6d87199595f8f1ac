import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { CdnAnswer, OriginRequest } from './cdn.ts';
import {
  type CloudAssembly,
  type Found,
  type LocalResolver,
  resolveValue,
  resourcesOfType,
} from './cloud-assembly.ts';

export interface HttpRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly path: string;
  /** The function its Lambda proxy integration invokes. */
  readonly functionArn: string;
  readonly payloadFormatVersion: string;
  readonly jwt?: { readonly issuer: string; readonly audience: readonly string[] };
}

/** An HTTP API (API Gateway v2) as its template describes it, references resolved. */
export interface HttpApiModel {
  readonly id: string;
  readonly logicalId: string;
  readonly routes: readonly HttpRoute[];
  /** The `$default` stage's route throttle. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

type Json = Record<string, unknown>;

export function httpApiModels(assembly: CloudAssembly, resolver: LocalResolver): HttpApiModel[] {
  const all = (type: string) => resourcesOfType(assembly, type);
  const resolve = (found: Found, v: unknown) => resolveValue(assembly, found.stack, v, resolver);
  const apiOf = (found: Found) => String(resolve(found, found.resource.Properties?.ApiId));
  const integrations = new Map(
    all('AWS::ApiGatewayV2::Integration').map((f) => [
      f.logicalId,
      {
        functionArn: String(resolve(f, f.resource.Properties?.IntegrationUri)),
        payloadFormatVersion: String(f.resource.Properties?.PayloadFormatVersion ?? '2.0'),
      },
    ]),
  );
  const authorizers = new Map(
    all('AWS::ApiGatewayV2::Authorizer').map((f) => {
      const jwt = (resolve(f, f.resource.Properties?.JwtConfiguration) ?? {}) as Json;
      return [f.logicalId, { issuer: String(jwt.Issuer), audience: (jwt.Audience ?? []) as string[] }];
    }),
  );
  return all('AWS::ApiGatewayV2::Api').map((api) => {
    const id = resolver.ref(api);
    const routes = all('AWS::ApiGatewayV2::Route')
      .filter((r) => apiOf(r) === id)
      .map((r): HttpRoute => {
        const props = r.resource.Properties ?? {};
        const routeKey = String(props.RouteKey);
        const [method = 'ANY', path = ''] = routeKey.split(' ');
        const target = String(resolve(r, props.Target)).replace(/^integrations\//, '');
        // An integration's Ref is its logical id here (awsShapedResolver), so the target names it.
        const integration = integrations.get(target);
        if (!integration)
          throw new Error(`route ${routeKey} of ${api.logicalId} has no integration the template defines`);
        const authorizerId = (props.AuthorizerId as { Ref?: string } | undefined)?.Ref;
        const jwt =
          props.AuthorizationType === 'JWT' && authorizerId ? authorizers.get(authorizerId) : undefined;
        return { routeKey, method, path, ...integration, ...(jwt ? { jwt } : {}) };
      });
    const stage = all('AWS::ApiGatewayV2::Stage').find((s) => apiOf(s) === id);
    const settings = (stage?.resource.Properties?.DefaultRouteSettings ?? {}) as Json;
    return {
      id,
      logicalId: api.logicalId,
      routes,
      ...(settings.ThrottlingRateLimit !== undefined
        ? {
            throttle: {
              rateLimit: Number(settings.ThrottlingRateLimit),
              burstLimit: Number(settings.ThrottlingBurstLimit ?? settings.ThrottlingRateLimit),
            },
          }
        : {}),
    };
  });
}

export interface LocalHttpApiOptions {
  readonly model: HttpApiModel;
  /** Invokes a function by its ARN with the integration's event. */
  readonly invoke: (functionArn: string, event: unknown) => Promise<unknown>;
  /** The issuer a template's issuer stands for on this machine (Cognito's, served by its stand-in). */
  readonly localIssuer?: (issuer: string) => string;
  readonly accountId?: string;
  readonly now?: () => number;
}

/**
 * An HTTP API on this machine, as API Gateway answers: the route is chosen as API Gateway chooses (a
 * method before ANY, literal segments before `{param}`, `{proxy+}` last), a JWT authorizer checks the token
 * in `Authorization` against the issuer's JWKS, its issuer and audience (401 otherwise), the stage's
 * throttle answers 429 past its rate and burst, and the Lambda proxy integration gets a payload 2.0 event
 * with the authorizer's claims in `requestContext`. A function that fails answers 500.
 */
export class LocalHttpApi {
  readonly #keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  #tokens: number;
  #refilledAt: number;

  constructor(private readonly options: LocalHttpApiOptions) {
    this.#tokens = options.model.throttle?.burstLimit ?? Number.POSITIVE_INFINITY;
    this.#refilledAt = this.#now();
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async handle(request: OriginRequest): Promise<CdnAnswer> {
    const route = this.#route(request.method, request.path);
    if (!route) return message(404, 'Not Found');
    if (!this.#admit()) return message(429, 'Too Many Requests');
    let claims: JWTPayload | undefined;
    if (route.route.jwt) {
      claims = await this.#verify(route.route.jwt, request.headers.authorization);
      if (!claims) {
        return {
          ...message(401, 'Unauthorized'),
          headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
        };
      }
    }
    const event = this.#event(request, route.route, route.pathParameters, claims);
    let result: unknown;
    try {
      result = await this.options.invoke(route.route.functionArn, event);
    } catch {
      return message(500, 'Internal Server Error');
    }
    return proxyResult(result);
  }

  /** A token bucket: the burst at once, then the rate per second. */
  #admit(): boolean {
    const throttle = this.options.model.throttle;
    if (!throttle) return true;
    const now = this.#now();
    this.#tokens = Math.min(
      throttle.burstLimit,
      this.#tokens + ((now - this.#refilledAt) / 1000) * throttle.rateLimit,
    );
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #route(
    method: string,
    path: string,
  ): { route: HttpRoute; pathParameters: Record<string, string> } | undefined {
    const segments = path.split('/').slice(1);
    const candidates = this.options.model.routes.flatMap((route) => {
      if (route.method !== 'ANY' && route.method !== method) return [];
      const params = matchPath(route.path, segments);
      if (!params) return [];
      const parts = route.path.split('/').slice(1);
      const literal = parts.filter((p) => !p.startsWith('{')).length;
      const greedy = parts.some((p) => p.endsWith('+}'));
      return [
        {
          route,
          pathParameters: params,
          score: (greedy ? 0 : 1000) + literal * 2 + (route.method === 'ANY' ? 0 : 1),
        },
      ];
    });
    // Literal paths before greedy ones, more literal segments first, a method before ANY.
    candidates.sort((a, b) => b.score - a.score);
    return candidates[0];
  }

  async #verify(
    jwt: NonNullable<HttpRoute['jwt']>,
    authorization: string | undefined,
  ): Promise<JWTPayload | undefined> {
    const token = authorization?.replace(/^Bearer\s+/i, '').trim();
    if (!token) return undefined;
    const issuer = this.options.localIssuer?.(jwt.issuer) ?? jwt.issuer;
    let keys = this.#keySets.get(issuer);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
      this.#keySets.set(issuer, keys);
    }
    try {
      const { payload } = await jwtVerify(token, keys, { issuer });
      // API Gateway takes the audience from `aud` (ID tokens) or `client_id` (access tokens).
      const audience = [payload.aud, payload.client_id]
        .flat()
        .filter((a): a is string => typeof a === 'string');
      if (!audience.some((a) => jwt.audience.includes(a))) return undefined;
      return payload;
    } catch {
      return undefined;
    }
  }

  #event(
    request: OriginRequest,
    route: HttpRoute,
    pathParameters: Record<string, string>,
    claims: JWTPayload | undefined,
  ) {
    const now = this.#now();
    const query = new URLSearchParams(request.query);
    const queryStringParameters: Record<string, string> = {};
    for (const [k, v] of query)
      queryStringParameters[k] = queryStringParameters[k] ? `${queryStringParameters[k]},${v}` : v;
    const headers = { ...request.headers };
    delete headers.host;
    return {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: request.path,
      rawQueryString: request.query,
      headers,
      ...(request.query ? { queryStringParameters } : {}),
      ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
      requestContext: {
        accountId: this.options.accountId ?? '000000000000',
        apiId: this.options.model.id,
        ...(claims ? { authorizer: { jwt: { claims: stringClaims(claims), scopes: null } } } : {}),
        domainName: request.headers.host ?? `${this.options.model.id}.execute-api.us-east-1.amazonaws.com`,
        domainPrefix: this.options.model.id,
        http: {
          method: request.method,
          path: request.path,
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: request.headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: route.routeKey,
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
      },
      ...(request.body.byteLength > 0 ? { body: Buffer.from(request.body).toString('base64') } : {}),
      isBase64Encoded: request.body.byteLength > 0,
    };
  }
}

/** `{name}` takes one segment, `{name+}` the rest (at least one); anything else matches itself. */
function matchPath(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').slice(1);
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const greedy = /^\{(\w+)\+\}$/.exec(part);
    if (greedy) {
      const rest = segments.slice(i).join('/');
      if (rest === '') return undefined;
      params[greedy[1] ?? 'proxy'] = decodeURIComponent(rest);
      return params;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    const param = /^\{(\w+)\}$/.exec(part);
    if (param) {
      if (segment === '') return undefined;
      params[param[1] ?? ''] = decodeURIComponent(segment);
    } else if (part !== segment) return undefined;
  }
  return segments.length === parts.length ? params : undefined;
}

/** As API Gateway passes JWT claims to the function: every value a string (arrays in brackets). */
function stringClaims(claims: JWTPayload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : String(v)]),
  );
}

function message(status: number, text: string): CdnAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: new TextEncoder().encode(JSON.stringify({ message: text })),
  };
}

/** A payload 2.0 result as API Gateway turns it into a response (a bare value becomes a JSON 200). */
function proxyResult(result: unknown): CdnAnswer {
  const r = result as {
    statusCode?: number;
    headers?: Record<string, unknown>;
    body?: string;
    isBase64Encoded?: boolean;
    cookies?: string[];
  } | null;
  if (!r || typeof r !== 'object' || typeof r.statusCode !== 'number') {
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: new TextEncoder().encode(JSON.stringify(result)),
    };
  }
  const headers = Object.fromEntries(
    Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  if (r.cookies?.length) headers['set-cookie'] = r.cookies.join(', ');
  const body =
    r.body === undefined
      ? new Uint8Array()
      : r.isBase64Encoded
        ? Buffer.from(r.body, 'base64')
        : new TextEncoder().encode(r.body);
  return { status: r.statusCode, headers, body };
}
