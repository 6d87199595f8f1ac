/**
 * How long to wait before the next try: exponential, capped, and half of it random ("equal jitter"), so that
 * instances that failed together do not try again together, while each still waits at least half the step.
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(capMs, baseMs * 2 ** attempt);
  return step / 2 + random() * (step / 2);
}
