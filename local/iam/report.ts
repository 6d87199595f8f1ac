import { type AccessRecords, grantsOf, mergeRecords, statementGrants } from './authorizer.ts';
import type { IamModel } from './model.ts';

/** Per caller: what it did, what it was refused, and which of its grants no call used. */
export interface AccessReport {
  readonly enforced: boolean;
  readonly callers: Record<
    string,
    {
      readonly principal: string;
      readonly kind: string;
      readonly actions: AccessRecords[string]['actions'];
      readonly refusals: readonly string[];
      readonly unusedGrants: readonly { grant: string; resources: readonly string[] }[];
    }
  >;
  /** Allow statements of resource policies (bucket, queue, topic, key, function) that no call used. */
  readonly unusedResourceGrants: readonly { grant: string; resources: readonly string[] }[];
}

/**
 * The access report of one or more runs: the records of every authorizer merged, set against every grant
 * of the template. A grant is used when some call was allowed by it.
 */
export function accessReport(model: IamModel, ...records: AccessRecords[]): AccessReport {
  const merged = records.reduce<AccessRecords>((into, r) => mergeRecords(into, r), {});
  // A grant is the caller's own (two roles may hold the same AWS managed policy); a resource policy's
  // statements are used by whoever they let in.
  const usedBy = (name: string) => new Set(Object.keys(merged[name]?.grantsUsed ?? {}));
  const used = new Set(Object.values(merged).flatMap((r) => Object.keys(r.grantsUsed)));
  const callers: Record<string, AccessReport['callers'][string]> = {};
  for (const identity of model.identities) {
    const record = merged[identity.name];
    const mine = usedBy(identity.name);
    const unusedGrants = grantsOf(identity.policies).filter((g) => !mine.has(g.grant));
    if (!record && identity.kind === 'service') continue;
    callers[identity.name] = {
      principal: identity.principal,
      kind: identity.kind,
      actions: record?.actions ?? {},
      refusals: record?.refusals ?? [],
      // The deployment's administrator holds everything by design; its report is what it did.
      unusedGrants: identity.name === 'deployment' ? [] : unusedGrants,
    };
  }
  for (const [name, record] of Object.entries(merged)) {
    if (callers[name]) continue;
    callers[name] = {
      principal: record.principal,
      kind: record.kind,
      actions: record.actions,
      refusals: record.refusals,
      unusedGrants: [],
    };
  }
  const unusedResourceGrants = model.resourcePolicies.flatMap((p) =>
    statementGrants(p.name, p.document).filter((g) => !used.has(g.grant)),
  );
  return { enforced: model.enforce, callers, unusedResourceGrants };
}

/** Merges reports of several runs of the same template (one per test file's stack). */
export function mergeReports(reports: readonly AccessReport[]): AccessReport {
  const callers: Record<string, AccessReport['callers'][string]> = {};
  const unusedIn = (lists: readonly (readonly { grant: string; resources: readonly string[] }[])[]) => {
    // Unused in the merge: unused in every report that knows the grant.
    const counts = new Map<string, { n: number; resources: readonly string[] }>();
    for (const list of lists)
      for (const g of list)
        counts.set(g.grant, { n: (counts.get(g.grant)?.n ?? 0) + 1, resources: g.resources });
    return [...counts.entries()]
      .filter(([, v]) => v.n === lists.length)
      .map(([grant, v]) => ({ grant, resources: v.resources }));
  };
  const names = new Set(reports.flatMap((r) => Object.keys(r.callers)));
  for (const name of names) {
    const parts = reports.map((r) => r.callers[name]).filter((c) => c !== undefined);
    const first = parts[0];
    if (!first) continue;
    const records = parts.map((p) => ({
      [name]: {
        principal: p.principal,
        kind: p.kind as 'role',
        actions: p.actions,
        grantsUsed: {},
        refusals: [...p.refusals],
      },
    }));
    const merged = records.reduce<AccessRecords>((into, r) => mergeRecords(into, r), {})[name];
    callers[name] = {
      principal: first.principal,
      kind: first.kind,
      actions: merged?.actions ?? {},
      refusals: merged?.refusals ?? [],
      unusedGrants: unusedIn(parts.map((p) => p.unusedGrants)),
    };
  }
  return {
    enforced: reports.every((r) => r.enforced),
    callers,
    unusedResourceGrants: unusedIn(reports.map((r) => r.unusedResourceGrants)),
  };
}
