/** A deployed stack's outputs by key (AWS, or LocalStack with AWS_ENDPOINT_URL set): what the CLIs find tables by. */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

export async function stackOutputs(stack: string, cfn = new CloudFormationClient({})): Promise<Record<string, string>> {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
  return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
}
