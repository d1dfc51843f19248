/**
 * Where the mitigation CLIs (scripts/replay.ts, scripts/redrive.ts) act: the running `npm start` (it writes
 * .offline/endpoints.json) when no stack is named, or a deployed stack (`--stack <name>`, AWS or LocalStack with
 * AWS_ENDPOINT_URL=http://localhost:4566) whose outputs name the outbox table, the bus and the audit log group.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditSink } from './audit';

export const ENDPOINTS_FILE = path.join(import.meta.dirname, '..', '.offline', 'endpoints.json');
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
}

const OFFLINE_CREDENTIALS = { region: 'us-east-1', credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } };

export async function resolveTarget(stack: string | undefined): Promise<MitigationTarget> {
  if (!stack) {
    if (!existsSync(ENDPOINTS_FILE)) throw new Error(`no running platform (${ENDPOINTS_FILE} is missing): start it or pass --stack <name>`);
    const e = JSON.parse(readFileSync(ENDPOINTS_FILE, 'utf8')) as Record<string, string | undefined>;
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
    };
  }
  const { Stacks } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack }));
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
  };
}
