/**
 * Creates the platform's tables in the shared DynamoDB Local for handler tests, from the synthesized DataTables
 * construct (the same definition CDK deploys), under a unique prefix per test file, and points the handler
 * environment (table-name variables, SDK endpoint) at them. Import handlers only after calling `useTables`.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { DataTables, TABLE_ENV, type TableKey } from '../../lib/constructs/data-tables';

export { TABLE_ENV, type TableKey };

interface CfnTableProps {
  KeySchema: CreateTableCommandInput['KeySchema'];
  AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
  GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
  StreamSpecification?: { StreamViewType: string };
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
}

/** The CloudFormation properties of every DataTables table, keyed by DataTables property name. */
function synthesizedTables(): Record<TableKey, CfnTableProps> {
  const stack = new Stack(new App(), 'Tables');
  const tables = new DataTables(stack, 'Data');
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties: CfnTableProps }>;
  const out = {} as Record<TableKey, CfnTableProps>;
  for (const key of Object.keys(TABLE_ENV) as TableKey[]) {
    const logicalId = stack.getLogicalId(tables[key].node.defaultChild as never);
    out[key] = resources[logicalId].Properties;
  }
  return out;
}

export interface TestTables {
  names: Record<TableKey, string>;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  endpoint: string;
}

export async function useTables(): Promise<TestTables> {
  const endpoint = inject('dynamodbEndpoint');
  const prefix = `t${randomBytes(4).toString('hex')}-`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const names = {} as Record<TableKey, string>;
  for (const [key, props] of Object.entries(synthesizedTables()) as [TableKey, CfnTableProps][]) {
    const TableName = `${prefix}${key}`;
    await client.send(
      new CreateTableCommand({
        TableName,
        KeySchema: props.KeySchema,
        AttributeDefinitions: props.AttributeDefinitions,
        GlobalSecondaryIndexes: props.GlobalSecondaryIndexes?.map((g) => ({ ...g, ContributorInsightsSpecification: undefined })),
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: props.StreamSpecification
          ? { StreamEnabled: true, StreamViewType: props.StreamSpecification.StreamViewType as 'NEW_IMAGE' }
          : undefined,
      }),
    );
    if (props.TimeToLiveSpecification?.Enabled) {
      await client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: props.TimeToLiveSpecification }));
    }
    names[key] = TableName;
    process.env[TABLE_ENV[key]] = TableName;
  }
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  return { names, client, doc: DynamoDBDocumentClient.from(client), endpoint };
}
