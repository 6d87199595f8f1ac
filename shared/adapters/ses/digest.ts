import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { ModeratorDigest } from '../../ports.ts';

/** The moderators' digest as an email through SES (v2), from a verified sender to the moderators' addresses. */
export class SesModeratorDigest implements ModeratorDigest {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
    private readonly to: readonly string[],
  ) {}

  async send(subject: string, text: string): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [...this.to] },
        Content: {
          Simple: {
            Subject: { Data: subject, Charset: 'UTF-8' },
            Body: { Text: { Data: text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }
}
