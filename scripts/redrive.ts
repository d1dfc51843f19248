/**
 * Lists what a dead-letter queue holds, and moves messages back to the queue they came from after the cause is
 * fixed (docs/runbooks/dlq-messages.md; the work is tools/redrive.ts). Dry run by default; every real move writes an
 * audit record (.offline/audit/mitigations.jsonl, and the stack's audit log group with --stack).
 *   npm run redrive -- list <dlq-url> [<source-queue-url>]
 *   npm run redrive -- <dlq-url> <source-queue-url> [max] [--message-id <id>]... [--order <orderId>]... [--method move-task|copy] [--send]
 * Offline when `npm start` is running and the URLs are its queues; otherwise AWS (or LocalStack with
 * AWS_ENDPOINT_URL=http://localhost:4566) with the usual credentials; `--stack <name>` adds the stack-side audit.
 * A bad argument exits 2, naming it, before any queue is touched; a message not moved exits 1.
 */
import { GetFunctionCommand, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, ListDeadLetterSourceQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { existsSync, readFileSync } from 'node:fs';
import { CloudWatchLogsClient, STSClient } from '../tools/audit';
import { ENDPOINTS_FILE, OFFLINE_LOGS, resolveTarget } from '../tools/mitigation-target';
import {
  formatParked,
  insightsLastErrors,
  type LastErrorLookup,
  listDlq,
  offlineLastErrors,
  parseRedriveArgs,
  REDRIVE_USAGE,
  type RedriveTarget,
  runRedrive,
} from '../tools/redrive';

let args: ReturnType<typeof parseRedriveArgs>;
try {
  args = parseRedriveArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n${REDRIVE_USAGE}`);
  process.exit(2);
}

/** The running `npm start`'s SQS, when the DLQ is one of its queues (same port). */
function offlineSqsEndpoint(dlqUrl: string): string | undefined {
  if (args.stack || !existsSync(ENDPOINTS_FILE)) return undefined;
  const sqs = (JSON.parse(readFileSync(ENDPOINTS_FILE, 'utf8')) as { sqs?: string }).sqs;
  // Not new URL(dlqUrl): fauxqs's host (sqs.us-east-1.127.0.0.1) ends in digits, which WHATWG URL refuses as IPv4.
  const port = (url: string) => /^https?:\/\/[^/]*:(\d+)(\/|$)/.exec(url)?.[1];
  return sqs && port(sqs) !== undefined && port(sqs) === port(dlqUrl) ? sqs : undefined;
}

/** AWS: the consumer of the source queue (its event source mapping), and that function's log group. */
async function awsLastErrors(
  sqs: SQSClient,
  logs: CloudWatchLogsClient,
  dlqUrl: string,
  sourceUrl?: string,
): Promise<LastErrorLookup | undefined> {
  const source = sourceUrl ?? (await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }))).queueUrls?.[0];
  if (!source) return undefined;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: source, AttributeNames: ['QueueArn'] }));
  const lambda = new LambdaClient({});
  const { EventSourceMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: Attributes?.QueueArn }));
  const fn = EventSourceMappings[0]?.FunctionArn;
  if (!fn) return undefined;
  const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName: fn }));
  const logGroup = Configuration?.LoggingConfig?.LogGroup ?? `/aws/lambda/${Configuration?.FunctionName}`;
  // A DLQ keeps messages 14 days; the consumer's failures are in that window.
  return insightsLastErrors(logs, logGroup, Configuration?.FunctionName ?? fn, new Date(Date.now() - 14 * 24 * 3600 * 1000));
}

try {
  const offline = offlineSqsEndpoint(args.dlqUrl);
  let target: RedriveTarget;
  let lastErrors: LastErrorLookup | undefined;
  if (offline) {
    const creds = { region: 'us-east-1', credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } };
    target = { name: 'offline', sqs: new SQSClient({ endpoint: offline, ...creds }), hasMoveTask: false, audit: {} };
    lastErrors = offlineLastErrors(OFFLINE_LOGS);
  } else {
    const stack = args.stack ? await resolveTarget(args.stack) : undefined;
    const sqs = new SQSClient({});
    const logs = stack?.logs ?? new CloudWatchLogsClient({});
    target = { name: stack?.name ?? 'aws', sqs, hasMoveTask: true, audit: stack?.audit ?? {}, sts: stack?.sts ?? new STSClient({}) };
    if (!stack && args.command === 'redrive' && args.send)
      console.error('note: no --stack, so the audit record goes to .offline/audit/ only, not to the stack');
    lastErrors = await awsLastErrors(sqs, logs, args.dlqUrl, args.sourceUrl).catch((err) => {
      console.error(`note: no last errors (${(err as Error).message})`);
      return undefined;
    });
  }
  if (args.command === 'list') {
    const messages = await listDlq(target.sqs, args.dlqUrl, { lastErrors });
    for (const m of messages) console.log(formatParked(m));
    console.log(`${messages.length} message(s) in ${args.dlqUrl} (${target.name})`);
  } else {
    const outcome = await runRedrive(target, args, console.log, { lastErrors });
    process.exit(outcome.exitCode);
  }
} catch (err) {
  console.error(`redrive failed: ${(err as Error).message}`);
  process.exit(1);
}
