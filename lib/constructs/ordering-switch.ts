import { Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ORDERING_OPEN } from '../../functions/shared/ordering-state';

/**
 * The ordering switch (seed 001's "stop taking orders, keep the menus"): one SSM parameter holding
 * `{"acceptingOrders": bool, "pausedMerchants": [ids]}`, read by the orders API through Powertools parameters with
 * a 5 s cache, flipped by `npm run ordering` (scripts/ordering.ts). CloudFormation writes the value only when the
 * template's value changes, so a deploy does not reopen ordering that an operator closed.
 */
export class OrderingSwitch extends Construct {
  readonly parameter: StringParameter;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.parameter = new StringParameter(this, 'Parameter', {
      parameterName: `/${Stack.of(this).stackName}/ordering`,
      stringValue: JSON.stringify(ORDERING_OPEN),
      description: 'ShopWave ordering switch: {"acceptingOrders": true|false, "pausedMerchants": [...]}. Flip it with npm run ordering.',
    });
  }

  /** Lets `fn` read the switch, and tells it where it is. */
  grantRead(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.parameter.grantRead(fn);
    fn.addEnvironment('ORDERING_PARAMETER_NAME', this.parameter.parameterName);
  }
}
