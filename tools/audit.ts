/**
 * The audit trail of the mitigation tools (tools/replay.ts, tools/redrive.ts): one JSON line per run that changed
 * something (dry runs change nothing and are not recorded), appended to .offline/audit/mitigations.jsonl on the
 * operator's machine (git-ignored) and, on a deployed stack, also put into the stack's `AuditLogGroupName` log group
 * (lib/shopwave-stack.ts), which outlives the laptop, the stack and the operator's shell history.
 */
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';

export const AUDIT_FILE = path.join(import.meta.dirname, '..', '.offline', 'audit', 'mitigations.jsonl');

export interface AuditRecord {
  /** A unique id of this run, also the log stream's name on the stack. */
  id: string;
  tool: 'replay' | 'redrive';
  at: string;
  who: { user: string; host: string; aws?: string };
  target: string;
  from: string;
  to: string;
  /** What the operator asked for (the CLI's selection), verbatim. */
  selection: Record<string, unknown>;
  method?: string;
  /** The event ids (replay) or message ids (redrive) acted on. */
  ids: string[];
  result: { ok: boolean; done: number; failed: { id: string; error: string }[]; note?: string };
}

/** The operator: the OS user, and on AWS the caller identity's ARN (what CloudTrail will show for the calls). */
export async function whoAmI(sts?: Pick<STSClient, 'send'>): Promise<AuditRecord['who']> {
  const who: AuditRecord['who'] = { user: userInfo().username, host: hostname() };
  if (sts) {
    try {
      who.aws = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    } catch (err) {
      who.aws = `unknown (${(err as Error).message})`;
    }
  }
  return who;
}

export const newAuditId = () => `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;

export interface AuditSink {
  file?: string;
  /** The stack's audit log group, with a client for it. */
  logGroup?: { name: string; client: Pick<CloudWatchLogsClient, 'send'> };
}

/**
 * Appends the record to the file, then to the log group. The file write comes first and throws (the operator must
 * know an action went unrecorded); a failed log-group write is returned as a warning, the action having happened.
 */
export async function writeAudit(record: AuditRecord, sink: AuditSink = {}): Promise<string | undefined> {
  const file = sink.file ?? AUDIT_FILE;
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(record)}\n`);
  if (!sink.logGroup) return undefined;
  try {
    const { name, client } = sink.logGroup;
    const logStreamName = `${record.tool}/${record.id}`;
    await client.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName }));
    await client.send(
      new PutLogEventsCommand({
        logGroupName: name,
        logStreamName,
        logEvents: [{ timestamp: Date.now(), message: JSON.stringify(record) }],
      }),
    );
    return undefined;
  } catch (err) {
    return `audit record written to ${file} but not to log group ${sink.logGroup.name}: ${(err as Error).message}`;
  }
}

export { CloudWatchLogsClient, STSClient };
