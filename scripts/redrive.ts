/**
 * Moves messages from a dead-letter queue back to the queue they came from, after the cause is fixed.
 *   npx tsx scripts/redrive.ts <dlq-url> <source-queue-url> [max]
 * Receive → send → delete, one message at a time, so a crash duplicates at worst (consumers are idempotent) and
 * never loses. Works on AWS, LocalStack and offline alike (the offline SQS emulator has no StartMessageMoveTask;
 * on AWS the console's "Start DLQ redrive" does the same).
 * Each message moves once per run: a message that is still poison is parked again within seconds (consumers park
 * permanent errors at once, functions/shared/retry-policy.ts) with the id this run sent it under; seeing it again
 * ends the run and leaves it visible in the DLQ, instead of moving it back and forth until `max`.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

export async function redrive(sqs: SQSClient, dlqUrl: string, sourceUrl: string, max = 1000): Promise<number> {
  let moved = 0;
  const sent = new Set<string>(); // ids of the messages this run sent; SQS keeps the id when it parks one again
  while (moved < max) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: Math.min(10, max - moved), WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    if (Messages.length === 0) return moved;
    let parkedAgain = false;
    for (const m of Messages) {
      if (sent.has(m.MessageId!)) {
        parkedAgain = true;
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
        continue;
      }
      const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: m.Body!, MessageAttributes: m.MessageAttributes }));
      if (MessageId) sent.add(MessageId);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
      moved++;
    }
    if (parkedAgain) return moved;
  }
  return moved;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dlqUrl, sourceUrl, max] = process.argv.slice(2);
  if (!dlqUrl || !sourceUrl) {
    console.error('usage: npx tsx scripts/redrive.ts <dlq-url> <source-queue-url> [max]');
    process.exit(2);
  }
  const moved = await redrive(new SQSClient({}), dlqUrl, sourceUrl, max ? Number(max) : undefined);
  console.log(`moved ${moved} message(s) from ${dlqUrl} to ${sourceUrl}`);
}
