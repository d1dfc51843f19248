/**
 * Where the mitigation CLIs (scripts/replay.ts, scripts/redrive.ts) act: the running `npm start` (it writes
 * .offline/endpoints.json) when no stack is named, or a deployed stack (`--stack <name>`, AWS or LocalStack with
 * AWS_ENDPOINT_URL=http://localhost:4566) whose outputs name the outbox table, the bus and the audit log group.
 */
import { CloudFormationClient, DescribeStacksCommand, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditSink } from './audit';
import { ENDPOINTS_FILE } from './offline-dir';

export { ENDPOINTS_FILE };
export const OFFLINE_LOGS = path.join(import.meta.dirname, '..', '.offline', 'logs');

export interface MitigationTarget {
  /** 'offline' or 'stack <name>': goes into the audit record. */
  name: string;
  doc: DynamoDBDocumentClient;
  eventBridge: EventBridgeClient;
  sqs: SQSClient;
  outboxTable: string;
  busName: string;
  audit: AuditSink;
  /** AWS only: who is acting, and where a consumer's last error is looked up (Logs Insights). */
  sts?: STSClient;
  logs?: CloudWatchLogsClient;
  /** Offline only: the function log files (.offline/logs). */
  logsDirectory?: string;
  /** For replay --reprocess: the idempotency table, and a consumer's construct id → its function's name. */
  idempotencyTable?: string;
  consumerFunction: (consumer: string) => Promise<string | undefined>;
}

/** The function of a consumer construct: its logical id is `<consumer>Handler<hash>` (lib/constructs/event-consumer.ts). */
const functionOf = (byLogicalId: Record<string, string>, consumer: string) =>
  Object.entries(byLogicalId).find(([logicalId]) => new RegExp(`^${consumer}Handler[0-9A-F]{8}$`).test(logicalId))?.[1];

const OFFLINE_CREDENTIALS = { region: 'us-east-1', credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } };

export async function resolveTarget(stack: string | undefined): Promise<MitigationTarget> {
  if (!stack) {
    if (!existsSync(ENDPOINTS_FILE)) throw new Error(`no running platform (${ENDPOINTS_FILE} is missing): start it or pass --stack <name>`);
    const e = JSON.parse(readFileSync(ENDPOINTS_FILE, 'utf8')) as Record<string, string | undefined> & {
      functions?: Record<string, string>;
    };
    for (const key of ['dynamodb', 'eventbridge', 'sqs', 'outboxTable', 'eventBus'])
      if (!e[key]) throw new Error(`${ENDPOINTS_FILE} has no '${key}': restart npm start with this version`);
    return {
      name: 'offline',
      doc: DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: e.dynamodb, ...OFFLINE_CREDENTIALS })),
      eventBridge: new EventBridgeClient({ endpoint: e.eventbridge, ...OFFLINE_CREDENTIALS }),
      sqs: new SQSClient({ endpoint: e.sqs, ...OFFLINE_CREDENTIALS }),
      outboxTable: e.outboxTable!,
      busName: e.eventBus!,
      audit: {},
      logsDirectory: OFFLINE_LOGS,
      idempotencyTable: e.idempotencyTable,
      consumerFunction: async (consumer) => functionOf(e.functions ?? {}, consumer),
    };
  }
  const cfn = new CloudFormationClient({});
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
  const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  for (const key of ['OutboxTableName', 'EventBusName', 'AuditLogGroupName'])
    if (!outputs[key]) throw new Error(`stack ${stack} has no output ${key}: deploy this version first`);
  const logs = new CloudWatchLogsClient({});
  return {
    name: `stack ${stack}`,
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    eventBridge: new EventBridgeClient({}),
    sqs: new SQSClient({}),
    outboxTable: outputs.OutboxTableName!,
    busName: outputs.EventBusName!,
    audit: { logGroup: { name: outputs.AuditLogGroupName!, client: logs } },
    sts: new STSClient({}),
    logs,
    idempotencyTable: outputs.IdempotencyTableName,
    consumerFunction: async (consumer) => {
      const functions: Record<string, string> = {};
      // Bounded by the stack's size (a few hundred resources, 100 a page).
      for await (const page of paginateListStackResources({ client: cfn }, { StackName: stack }))
        for (const r of page.StackResourceSummaries ?? [])
          if (r.ResourceType === 'AWS::Lambda::Function' && r.PhysicalResourceId) functions[r.LogicalResourceId!] = r.PhysicalResourceId;
      return functionOf(functions, consumer);
    },
  };
}
