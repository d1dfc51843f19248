/**
 * Moves messages from a dead-letter queue back to the queue they came from, after the cause is fixed
 * (docs/runbooks/dlq-messages.md; the work is tools/redrive.ts).
 *   npx tsx scripts/redrive.ts <dlq-url> <source-queue-url> [max]
 * A bad argument exits 2, naming it, before any queue is touched.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { parseRedriveArgs, redrive, REDRIVE_USAGE } from '../tools/redrive';

let args: ReturnType<typeof parseRedriveArgs>;
try {
  args = parseRedriveArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n${REDRIVE_USAGE}`);
  process.exit(2);
}
const moved = await redrive(new SQSClient({}), args.dlqUrl, args.sourceUrl, args.max);
console.log(`moved ${moved} message(s) from ${args.dlqUrl} to ${args.sourceUrl}`);
