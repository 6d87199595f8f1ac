import { randomUUID } from 'node:crypto';
import { backoffMs } from '../domain/backoff.ts';
import type { SyncDeps } from './change-deps.ts';

/**
 * A lease outlives the longest a function may run (the ingest function's timeout, 90 s), so a held lease
 * always has a live holder; a lease whose release failed blocks its draft for at most this long.
 */
export const DRAFT_LEASE_MS = 2 * 60_000;

/** How long a change waits for another instance to finish with the same draft before it is retried later. */
export const LEASE_WAIT_MS = 20_000;

/** Another instance is applying a change to the same draft: the delivery is retried later. */
export class DraftBusyError extends Error {
  override readonly name = 'DraftBusyError';
}

/**
 * Runs `work` while holding the named lease (a draft's, an article's, a photo's), waiting with jittered
 * backoff while another instance holds it, for at most {@link LEASE_WAIT_MS}.
 */
export async function withLease<T>(
  deps: SyncDeps,
  name: string,
  busy: string,
  work: () => Promise<T>,
): Promise<T> {
  const holder = randomUUID();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const ttl = deps.leaseMs ?? DRAFT_LEASE_MS;
  const started = Date.now();
  for (let attempt = 0; !(await deps.leases.acquire(name, holder, ttl)); attempt++) {
    if (Date.now() - started >= LEASE_WAIT_MS) throw new DraftBusyError(busy);
    await sleep(backoffMs(attempt, 100, 1000));
  }
  try {
    return await work();
  } finally {
    await deps.leases.release(name, holder);
  }
}
