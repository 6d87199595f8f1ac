import { anonymousPrincipal, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { IamModel, Identity, NamedPolicy, PolicyDocument, ResourcePolicy } from './model.ts';

/** One authorization AWS makes for a request: an action on a resource, with the condition keys it supplies. */
export interface AccessRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export interface Decision {
  readonly allowed: boolean;
  /** Whether IAM would refuse it (also when enforcement is off and the call went through). */
  readonly refused: boolean;
  /** As AWS words it: `User: … is not authorized to perform: … on resource: … because …`. */
  readonly message: string;
}

/** What one caller did, for the access report. */
export interface CallerRecord {
  readonly principal: string;
  readonly kind: Identity['kind'];
  /** By action: how often allowed and refused, and some of the resources. */
  readonly actions: Record<string, { allowed: number; refused: number; resources: string[] }>;
  /** By grant (`policy#statement:action`): how many calls it allowed. */
  readonly grantsUsed: Record<string, number>;
  /** The first refusals, as the caller was told. */
  readonly refusals: string[];
}

export type AccessRecords = Record<string, CallerRecord>;

const SAMPLES = 6;
const REFUSALS = 20;

/**
 * Decides each call as IAM does, with `@cloud-copilot/iam-simulate`: the caller's identity policies, the
 * resource's own policy, and the condition keys of the request; records every decision for the access
 * report. What no local request can show is set as AWS sets it: `aws:SecureTransport` is true (AWS's
 * endpoints are TLS only), the caller's account is the resource's.
 */
export class Authorizer {
  readonly #byKey = new Map<string, Identity>();
  readonly #memo = new Map<string, Promise<Verdict>>();
  readonly #records: AccessRecords = {};

  constructor(readonly model: IamModel) {
    for (const identity of model.identities) this.#byKey.set(identity.accessKeyId, identity);
  }

  get enforcing(): boolean {
    return this.model.enforce;
  }

  /** The caller a request's access key belongs to; undefined for a key no identity has. */
  identity(accessKeyId: string): Identity | undefined {
    return this.#byKey.get(accessKeyId);
  }

  /** The identity with this report name (`Render/Role`, `editor (bientap)`, `cloudfront.amazonaws.com`). */
  named(name: string): Identity {
    const found = this.model.identities.find((i) => i.name === name);
    if (!found) throw new Error(`no identity ${name} in the template's IAM model`);
    return found;
  }

  /** Decides a request; `record: false` for a decision the service makes only to shape its answer. */
  async decide(
    identity: Identity | 'anonymous',
    request: AccessRequest,
    options: { readonly record?: boolean } = {},
  ): Promise<Decision> {
    const context: Record<string, string | readonly string[]> = {
      'aws:SecureTransport': 'true',
      ...(identity === 'anonymous'
        ? {}
        : {
            ...identity.context,
            ...(identity.arn ? { 'aws:PrincipalArn': identity.arn } : {}),
            ...(identity.kind !== 'service' ? { 'aws:PrincipalAccount': this.model.account } : {}),
          }),
      ...request.context,
    };
    const name = identity === 'anonymous' ? 'anonymous' : identity.name;
    const memoKey = `${name}\n${request.action}\n${request.resource}\n${JSON.stringify(context)}`;
    let verdict = this.#memo.get(memoKey);
    if (!verdict) {
      verdict = this.#evaluate(identity, request, context);
      this.#memo.set(memoKey, verdict);
      if (this.#memo.size > 50_000) this.#memo.clear();
    }
    const { allowed, grants, because } = await verdict;
    const principal = identity === 'anonymous' ? 'anonymous' : identity.principal;
    const message = allowed
      ? ''
      : `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} because ${because}`;
    if (options.record !== false) this.#record(identity, request, allowed, grants, message);
    return { allowed: allowed || !this.model.enforce, refused: !allowed, message };
  }

  records(): AccessRecords {
    return structuredClone(this.#records);
  }

  async #evaluate(
    identity: Identity | 'anonymous',
    request: AccessRequest,
    context: Record<string, string | readonly string[]>,
  ): Promise<Verdict> {
    const resourcePolicy = this.#resourcePolicyOf(request.resource);
    const identityPolicies = identity === 'anonymous' ? [] : identity.policies;
    const simulation: Simulation = {
      identityPolicies: identityPolicies.map((p) => ({ name: p.name, policy: p.document as never })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy: resourcePolicy.document as never } : {}),
      request: {
        action: request.action,
        principal: identity === 'anonymous' ? anonymousPrincipal : identity.principal,
        resource: { resource: request.resource, accountId: this.model.account },
        contextVariables: context as Record<string, string | string[]>,
      },
    };
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error') {
      return {
        allowed: false,
        grants: [],
        because: `the request could not be evaluated (${JSON.stringify(response.errors).slice(0, 300)})`,
      };
    }
    const result = response.resultType === 'single' ? response.result : response.results[0];
    const analysis = result?.analysis;
    const allowed = response.overallResult === 'Allowed';
    const grants: string[] = [];
    const statementsOf = (policyId: string | undefined, explain: unknown) => {
      const e = explain as { identifier?: string; actions?: { action: string; matches: boolean }[] };
      const actions = (Array.isArray(e.actions) ? e.actions : e.actions ? [e.actions] : [])
        .filter((a) => a.matches)
        .map((a) => a.action);
      for (const action of actions.length > 0 ? actions : ['*'])
        grants.push(`${policyId ?? resourcePolicy?.name ?? '?'}#${e.identifier ?? '?'}:${action}`);
    };
    if (allowed) {
      for (const s of analysis?.identityAnalysis?.allowStatements ?? []) statementsOf(s.policyId, s.explain);
      for (const s of analysis?.resourceAnalysis?.allowStatements ?? [])
        statementsOf(resourcePolicy?.name, s.explain);
    }
    const explicitResource = (analysis?.resourceAnalysis?.denyStatements ?? []).length > 0;
    const explicitIdentity = (analysis?.identityAnalysis?.denyStatements ?? []).length > 0;
    const because = explicitResource
      ? 'with an explicit deny in a resource-based policy'
      : explicitIdentity
        ? 'with an explicit deny in an identity-based policy'
        : identity !== 'anonymous' && identity.kind !== 'service'
          ? `no identity-based policy allows the ${request.action} action`
          : `no resource-based policy allows the ${request.action} action`;
    return { allowed, grants, because };
  }

  /** The policy of the resource a request is on: a bucket's for its objects, a function's for its versions. */
  #resourcePolicyOf(resource: string): ResourcePolicy | undefined {
    const owner = resource.startsWith('arn:aws:s3:::')
      ? resource.split('/')[0]
      : resource.startsWith('arn:aws:lambda:')
        ? resource.split(':').slice(0, 7).join(':')
        : resource;
    return this.model.resourcePolicies.find((p) => p.resource === owner);
  }

  #record(
    identity: Identity | 'anonymous',
    request: AccessRequest,
    allowed: boolean,
    grants: readonly string[],
    message: string,
  ) {
    const name = identity === 'anonymous' ? 'anonymous' : identity.name;
    const record = entry<CallerRecord>(this.#records, name, () => ({
      principal: identity === 'anonymous' ? 'anonymous' : identity.principal,
      kind: identity === 'anonymous' ? 'service' : identity.kind,
      actions: {},
      grantsUsed: {},
      refusals: [],
    }));
    const calls = entry(record.actions, request.action, () => ({ allowed: 0, refused: 0, resources: [] }));
    if (allowed) calls.allowed++;
    else calls.refused++;
    if (calls.resources.length < SAMPLES && !calls.resources.includes(request.resource))
      calls.resources.push(request.resource);
    for (const grant of grants) record.grantsUsed[grant] = (record.grantsUsed[grant] ?? 0) + 1;
    if (!allowed && record.refusals.length < REFUSALS && !record.refusals.includes(message))
      record.refusals.push(message);
  }
}

interface Verdict {
  readonly allowed: boolean;
  readonly grants: readonly string[];
  readonly because: string;
}

function entry<T>(map: Record<string, T>, key: string, make: () => T): T {
  const found = map[key];
  if (found !== undefined) return found;
  const made = make();
  map[key] = made;
  return made;
}

/** Sums the records of several authorizers (the stand-ins' thread, the main thread, several stacks). */
export function mergeRecords(into: AccessRecords, from: AccessRecords): AccessRecords {
  for (const [name, record] of Object.entries(from)) {
    const mine = entry<CallerRecord>(into, name, () => ({
      ...record,
      actions: {},
      grantsUsed: {},
      refusals: [],
    }));
    for (const [action, calls] of Object.entries(record.actions)) {
      const m = entry(mine.actions, action, () => ({ allowed: 0, refused: 0, resources: [] }));
      m.allowed += calls.allowed;
      m.refused += calls.refused;
      for (const r of calls.resources)
        if (m.resources.length < SAMPLES && !m.resources.includes(r)) m.resources.push(r);
    }
    for (const [grant, n] of Object.entries(record.grantsUsed))
      mine.grantsUsed[grant] = (mine.grantsUsed[grant] ?? 0) + n;
    for (const r of record.refusals)
      if (mine.refusals.length < REFUSALS && !mine.refusals.includes(r)) mine.refusals.push(r);
  }
  return into;
}

/** Every grant an identity's policies make (`policy#statement:action`), as the records name them. */
export function grantsOf(policies: readonly NamedPolicy[]): { grant: string; resources: string[] }[] {
  return policies.flatMap((p) => statementGrants(p.name, p.document));
}

export function statementGrants(name: string, document: PolicyDocument) {
  return document.Statement.flatMap((s, i) => {
    if (s.Effect !== 'Allow') return [];
    const actions = [s.Action ?? []].flat();
    const resources = [s.Resource ?? []].flat().map(String);
    return actions.map((action) => ({ grant: `${name}#${s.Sid ?? i + 1}:${action}`, resources }));
  });
}
