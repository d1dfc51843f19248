/**
 * Moves messages from a dead-letter queue back to the queue they came from, after the cause is fixed: the CLI
 * (scripts/redrive.ts) and the Redrive button of the offline /ops page both run this.
 * Receive → send → delete, one message at a time, so a crash duplicates at worst (consumers are idempotent) and
 * never loses. Works on AWS, LocalStack and offline alike (the offline SQS emulator has no StartMessageMoveTask;
 * on AWS the console's "Start DLQ redrive" does the same).
 * Each message moves once per run: a message that is still poison is parked again within seconds (consumers park
 * permanent errors at once, functions/shared/retry-policy.ts) with the id this run sent it under; seeing it again
 * ends the run and leaves it visible in the DLQ, instead of moving it back and forth until `max`.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseArgs } from 'node:util';

export async function redrive(sqs: SQSClient, dlqUrl: string, sourceUrl: string, max = 1000): Promise<number> {
  let moved = 0;
  const sent = new Set<string>(); // ids of the messages this run sent; SQS keeps the id when it parks one again
  while (moved < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - moved),
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return moved;
    let parkedAgain = false;
    for (const m of Messages) {
      if (sent.has(m.MessageId!)) {
        parkedAgain = true;
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
        continue;
      }
      const { MessageId } = await sqs.send(
        new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: m.Body!, MessageAttributes: m.MessageAttributes }),
      );
      if (MessageId) sent.add(MessageId);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
      moved++;
    }
    if (parkedAgain) return moved;
  }
  return moved;
}

export const REDRIVE_USAGE = 'usage: npx tsx scripts/redrive.ts <dlq-url> <source-queue-url> [max]';

/**
 * An SQS queue URL as AWS, LocalStack and the offline emulator write them: http(s)://<host>/<12-digit account>/<queue
 * name>. A queue ARN or a bare name is refused here rather than by SQS, whose error would not say which argument.
 */
const QUEUE_URL = /^https?:\/\/[^/\s]+\/\d{12}\/[A-Za-z0-9_-]{1,80}(\.fifo)?$/;

/** The CLI's arguments, checked; throws an Error naming the first bad one. */
export function parseRedriveArgs(argv: string[]): { dlqUrl: string; sourceUrl: string; max?: number } {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true }));
  } catch (err) {
    // parseArgs names the option: "Unknown option '--force'".
    throw new Error((err as Error).message);
  }
  const [dlqUrl, sourceUrl, max, ...extra] = positionals;
  if (!dlqUrl) throw new Error('missing <dlq-url>');
  if (!sourceUrl) throw new Error('missing <source-queue-url>');
  for (const [name, url] of [
    ['<dlq-url>', dlqUrl],
    ['<source-queue-url>', sourceUrl],
  ] as const) {
    if (!QUEUE_URL.test(url))
      throw new Error(`${name} '${url}' is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)`);
  }
  if (dlqUrl === sourceUrl) throw new Error(`<dlq-url> and <source-queue-url> are the same queue: ${dlqUrl}`);
  if (max !== undefined && !/^[1-9]\d*$/.test(max)) throw new Error(`[max] '${max}' is not a positive whole number`);
  if (extra.length) throw new Error(`unexpected argument '${extra[0]}'`);
  return { dlqUrl, sourceUrl, ...(max !== undefined ? { max: Number(max) } : {}) };
}
