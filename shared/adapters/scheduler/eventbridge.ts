import { createHash } from 'node:crypto';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { PublishScheduler } from '../../ports.ts';

/** The event the ingest function receives when a scheduled draft is due. */
export interface ScheduledPublishEvent {
  readonly scheduledPublish: { readonly draftKey: string; readonly at: string };
}

export function isScheduledPublishEvent(event: unknown): event is ScheduledPublishEvent {
  const inner = (event as Partial<ScheduledPublishEvent> | null)?.scheduledPublish;
  return typeof inner?.draftKey === 'string' && typeof inner.at === 'string';
}

/** Schedule names allow [0-9a-zA-Z-_.] and 64 characters: one name per draft key, by hash. */
export function scheduleNameOf(draftKey: string): string {
  return `publish-${createHash('sha256').update(draftKey).digest('hex').slice(0, 48)}`;
}

export interface EventBridgeSchedulerOptions {
  /** The function invoked when a draft is due (the ingest function). */
  readonly targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke it (and to send to the dead-letter queue). */
  readonly roleArn: string;
  /**
   * Where a due draft's delivery goes when every retry failed: without one, Scheduler drops the event, and the
   * schedule deletes itself after it runs either way.
   */
  readonly deadLetterArn: string;
  readonly groupName?: string;
}

/** One-time EventBridge Scheduler schedules, deleted by the service once they have run. */
export class EventBridgePublishScheduler implements PublishScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeSchedulerOptions,
  ) {}

  async schedule(draftKey: string, at: Date): Promise<void> {
    const input = {
      Name: scheduleNameOf(draftKey),
      GroupName: this.options.groupName ?? 'default',
      ScheduleExpression: `at(${at.toISOString().slice(0, 19)})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      ActionAfterCompletion: 'DELETE' as const,
      Target: {
        Arn: this.options.targetArn,
        RoleArn: this.options.roleArn,
        Input: JSON.stringify({
          scheduledPublish: { draftKey, at: at.toISOString() },
        } satisfies ScheduledPublishEvent),
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: this.options.deadLetterArn },
      },
    };
    try {
      await this.client.send(new CreateScheduleCommand(input));
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConflictException') throw err;
      await this.client.send(new UpdateScheduleCommand(input));
    }
  }

  async cancel(draftKey: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteScheduleCommand({
          Name: scheduleNameOf(draftKey),
          GroupName: this.options.groupName ?? 'default',
        }),
      );
    } catch (err) {
      if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
    }
  }
}
