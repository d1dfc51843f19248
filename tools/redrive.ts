/**
 * Moves messages from a dead-letter queue back to the queue they came from, after the cause is fixed.
 *   npx tsx scripts/redrive.ts <dlq-url> <source-queue-url> [max]
 * Receive → send → delete, one message at a time, so a crash duplicates at worst (consumers are idempotent) and
 * never loses. Works on AWS, LocalStack and offline alike (the offline SQS emulator has no StartMessageMoveTask;
 * on AWS the console's "Start DLQ redrive" does the same).
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

export async function redrive(sqs: SQSClient, dlqUrl: string, sourceUrl: string, max = 1000): Promise<number> {
  let moved = 0;
  while (moved < max) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: Math.min(10, max - moved), WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    if (Messages.length === 0) return moved;
    for (const m of Messages) {
      await sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: m.Body!, MessageAttributes: m.MessageAttributes }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
      moved++;
    }
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
