import type { AwsClient, CallOptions } from './client.ts';
import { NetworkError } from './errors.ts';

/** The SNS operations jobsys calls (Query protocol, version 2010-03-31). */
export const SNS_OPERATIONS = ['Publish'] as const;
export type SnsOperation = (typeof SNS_OPERATIONS)[number];

export interface PublishInput {
  TopicArn: string;
  /** Up to 256 KiB of UTF-8. */
  Message: string;
  /** The email subject: ASCII, at most 100 characters, no line breaks. */
  Subject?: string;
}
export interface PublishOutput { MessageId: string }

export interface Sns {
  readonly client: AwsClient;
  publish(input: PublishInput, options?: CallOptions): Promise<PublishOutput>;
}

export function createSns(client: AwsClient): Sns {
  return {
    client,
    async publish(input, options) {
      const operation: SnsOperation = 'Publish';
      const { MessageId } = await client.call<Partial<PublishOutput>>(operation, input, options);
      // A 2xx that is not SNS's answer (a proxy's page) says nothing about whether it was published.
      if (MessageId === undefined) throw new NetworkError('sns.Publish: the answer names no MessageId');
      return { MessageId };
    },
  };
}
