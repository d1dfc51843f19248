import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { TABLE_ENV, type TableKey } from '../constructs/data-tables';
import { apiFunction, type ServiceContext } from './context';

/** Health (functions/health/): liveness, and readiness of everything the platform depends on. */
export function addHealth(ctx: ServiceContext) {
  const { tables, bus } = ctx;
  const health = apiFunction(ctx, 'HealthApi', 'health');

  // Readiness: may describe every table, the bus and the switch — and read none of their data.
  const ready = apiFunction(ctx, 'ReadyApi', 'health', 'ready');
  // DescribeTable on the table ARNs only (Table.grant would add each table's index/* wildcard).
  const tableKeys = Object.keys(TABLE_ENV) as TableKey[];
  ready.addToRolePolicy(
    new PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: tableKeys.map((key) => tables[key].tableArn) }),
  );
  for (const key of tableKeys) ready.addEnvironment(TABLE_ENV[key], tables[key].tableName);
  ready.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
  ready.addToRolePolicy(new PolicyStatement({ actions: ['events:DescribeEventBus'], resources: [bus.eventBusArn] }));
  ctx.ordering.grantRead(ready);
  // The same keys the customer APIs verify with, and nothing else of the issuer.
  ctx.identity.grantKeyProbe(ready);
  return { health, ready };
}
