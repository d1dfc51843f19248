/**
 * SSM Parameter Store for handler tests: the offline SsmEmulator holding the template's ordering switch, with the
 * handler environment (parameter name, SDK endpoint) pointed at it. Call before importing the handler.
 */
import { SsmEmulator } from '../../offline/ssm-emulator';
import { ORDERING_OPEN } from '../../functions/shared/ordering-state';

export const ORDERING_PARAMETER = '/ShopWave/ordering';

export async function useParameters(): Promise<SsmEmulator> {
  const ssm = new SsmEmulator([{ logicalId: 'Ordering', name: ORDERING_PARAMETER, type: 'String', value: JSON.stringify(ORDERING_OPEN) }], {
    region: 'us-east-1',
    accountId: '000000000000',
    sqsEndpoint: 'http://127.0.0.1:9',
    resourcePrefix: '',
  });
  process.env.AWS_ENDPOINT_URL_SSM = await ssm.start();
  process.env.ORDERING_PARAMETER_NAME = ORDERING_PARAMETER;
  return ssm;
}
