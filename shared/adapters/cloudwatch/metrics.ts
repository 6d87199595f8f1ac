import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { OpsMetricName, OpsMetrics } from '../../ports.ts';

/**
 * Where the functions' own metrics go: one namespace per deployment (several newsrooms may share an
 * account), set by the stack as `POWERTOOLS_METRICS_NAMESPACE`; each metric carries the `service` dimension.
 */
export function metricsNamespace(resourcePrefix: string): string {
  return `Newsroom/${resourcePrefix}`;
}

/** Metrics as CloudWatch embedded-metric-format lines in the function's log, written by Powertools. */
export class PowertoolsOpsMetrics implements OpsMetrics {
  constructor(private readonly metrics: Metrics) {}

  count(name: OpsMetricName, value: number): void {
    this.metrics.addMetric(name, MetricUnit.Count, value);
  }

  flush(): void {
    this.metrics.publishStoredMetrics();
  }
}
