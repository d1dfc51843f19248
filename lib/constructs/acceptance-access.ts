import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AccountPrincipal, Grant, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** The pipeline's deploy role (lib/pipeline-access-stack.ts), by name so a stage's stack can trust it before it exists. */
export const PIPELINE_DEPLOY_ROLE_NAME = 'ShopWavePipelineDeploy';

/** One acceptance role per stage's stack, named so the deploy role can be allowed exactly the stages it deploys. */
export const acceptanceRoleNameOf = (stackName: string) => `${stackName}-acceptance`;

export interface AcceptanceAccessProps {
  /** The tables `npm run seed` writes the demo data into. */
  seedTables: ITable[];
  /** Where `npm run merchant-key` puts a merchant's key (a conditional PutItem). */
  restaurantTable: ITable;
  /** The ordering switch `npm run ordering` reads and flips (the read-only check). */
  orderingParameter: IStringParameter;
  /** The customers' pool `npm run token -- --cognito` mints acceptance users' ID tokens from. */
  userPool: IUserPool;
  /** The SLI alarm whose state the `--sli` check reads. */
  lostOrdersAlarm: IAlarm;
}

/**
 * What the deploy pipeline's acceptance step may do on a stage it has just deployed (.github/workflows/deploy.yml,
 * docs/acceptance.md), and nothing else: the deploy role itself may only assume the CDK bootstrap roles, which can
 * deploy but not use the platform. Assumed by the deploy role only (role chaining, one hour at most); every grant
 * is on this stack's own resources:
 *   seed       dynamodb:BatchWriteItem/PutItem on the catalog, customers and inventory tables
 *   merchant   dynamodb:PutItem on the restaurant table (a new key; only its hash is stored)
 *   ordering   ssm:GetParameter/PutParameter on the ordering switch (restored by the check)
 *   tokens     cognito-idp:AdminGetUser/AdminCreateUser/AdminSetUserPassword on the pool (acceptance-* users)
 *   outputs    cloudformation:DescribeStacks on this stack, cloudwatch:DescribeAlarms on LostOrders
 */
export class AcceptanceAccess extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: AcceptanceAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const deployRoleArn = `arn:${stack.partition}:iam::${stack.account}:role/${PIPELINE_DEPLOY_ROLE_NAME}`;
    this.role = new Role(this, 'Role', {
      roleName: acceptanceRoleNameOf(stack.stackName),
      description: `The deploy pipeline's acceptance suite against ${stack.stackName}: seed, keys, tokens, the ordering switch`,
      maxSessionDuration: Duration.hours(1),
      // By the principal's ARN, not an ArnPrincipal: IAM would reject a trust policy naming a role that does not
      // exist yet, and a personal sandbox has no pipeline. Only that one role of this account matches.
      assumedBy: new AccountPrincipal(stack.account).withConditions({ ArnEquals: { 'aws:PrincipalArn': deployRoleArn } }),
    });
    // On the tables alone: table.grant() would add their indexes (`…/index/*`), which a write never touches.
    const onTables = (tables: ITable[], ...actions: string[]) =>
      Grant.addToPrincipal({ grantee: this.role, actions, resourceArns: tables.map((t) => t.tableArn) });
    onTables(props.seedTables, 'dynamodb:BatchWriteItem', 'dynamodb:PutItem');
    onTables([props.restaurantTable], 'dynamodb:PutItem');
    props.orderingParameter.grantRead(this.role);
    props.orderingParameter.grantWrite(this.role);
    props.userPool.grant(this.role, 'cognito-idp:AdminGetUser', 'cognito-idp:AdminCreateUser', 'cognito-idp:AdminSetUserPassword');
    this.role.addToPolicy(new PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [props.lostOrdersAlarm.alarmArn] }));
    new CfnOutput(stack, 'AcceptanceRoleArn', {
      value: this.role.roleArn,
      description: "The role deploy.yml's acceptance step assumes from the deploy role",
    });
  }
}
