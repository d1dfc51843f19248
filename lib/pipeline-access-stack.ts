import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { OidcProviderNative, OpenIdConnectPrincipal, PolicyStatement, Role, type IOidcProvider } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acceptanceRoleNameOf, PIPELINE_DEPLOY_ROLE_NAME } from './constructs/acceptance-access';

/** GitHub Actions' OIDC issuer, and the audience aws-actions/configure-aws-credentials asks tokens for. */
export const GITHUB_ISSUER = 'token.actions.githubusercontent.com';
export const GITHUB_AUDIENCE = 'sts.amazonaws.com';
/** The branch whose workflows may deploy: a push to it, or a workflow_dispatch run from it (.github/workflows/deploy.yml). */
export const DEPLOY_BRANCH = 'main';
/** The stage .github/workflows/deploy.yml deploys main to (stack ShopWave-sandbox). */
export const DEPLOY_STAGE = 'sandbox';
/** `cdk bootstrap`'s default qualifier; the CLI assumes `cdk-<qualifier>-<purpose>-role-<account>-<region>`. */
export const CDK_QUALIFIER = 'hnb659fds';
/** The bootstrap roles `cdk deploy` assumes: deploy (CloudFormation), asset publishing (S3, ECR), context lookups. */
export const CDK_BOOTSTRAP_ROLES = ['deploy', 'file-publishing', 'image-publishing', 'lookup'] as const;

export interface PipelineAccessStackProps extends StackProps {
  /** `owner/name` of the GitHub repository whose main branch deploys. */
  repository: string;
  /** An existing GitHub OIDC provider of the account (IAM allows one per issuer); default: this stack creates it. */
  oidcProviderArn?: string;
  /** The stacks whose acceptance role (lib/constructs/acceptance-access.ts) the pipeline may assume after deploying. */
  acceptanceStacks: string[];
}

/**
 * The pipeline's access as code (`-c githubRepository=owner/name`, docs/runbooks/deploy-and-rollback.md): GitHub's
 * OIDC provider and a deploy role that only workflows of that repository's main branch can assume, with a short-lived
 * token (no stored AWS keys), and that may do one thing: assume the CDK bootstrap roles, which hold the actual
 * deployment rights (CloudFormation through its execution role, the asset buckets and repositories), and the
 * acceptance role of the stages it deploys, which may seed, mint tokens and flip the ordering switch of that stage.
 */
export class PipelineAccessStack extends Stack {
  readonly deployRole: Role;
  readonly provider: IOidcProvider;

  constructor(scope: Construct, id: string, props: PipelineAccessStackProps) {
    super(scope, id, props);
    this.provider = props.oidcProviderArn
      ? OidcProviderNative.fromOidcProviderArn(this, 'GitHubOidc', props.oidcProviderArn)
      : new OidcProviderNative(this, 'GitHubOidc', { url: `https://${GITHUB_ISSUER}`, clientIds: [GITHUB_AUDIENCE] });
    this.deployRole = new Role(this, 'DeployRole', {
      // Named: each stage's acceptance role trusts it by this name (aws:PrincipalArn), deployed or not.
      roleName: PIPELINE_DEPLOY_ROLE_NAME,
      description: `Assumed by GitHub Actions of ${props.repository} on ${DEPLOY_BRANCH} to run cdk deploy`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new OpenIdConnectPrincipal(this.provider, {
        // Exact matches, no wildcard: another repository, branch, tag, pull request or environment gets no credentials.
        StringEquals: {
          [`${GITHUB_ISSUER}:aud`]: GITHUB_AUDIENCE,
          [`${GITHUB_ISSUER}:sub`]: `repo:${props.repository}:ref:refs/heads/${DEPLOY_BRANCH}`,
        },
      }),
    });
    // The four bootstrap roles by name, in this account and region only: no wildcard needed.
    this.deployRole.addToPolicy(
      new PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: CDK_BOOTSTRAP_ROLES.map(
          (purpose) =>
            `arn:${this.partition}:iam::${this.account}:role/cdk-${CDK_QUALIFIER}-${purpose}-role-${this.account}-${this.region}`,
        ),
      }),
    );
    // After the deploy, the acceptance suite runs with the stage's own acceptance role: by name, exact stages only.
    this.deployRole.addToPolicy(
      new PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: props.acceptanceStacks.map(
          (stackName) => `arn:${this.partition}:iam::${this.account}:role/${acceptanceRoleNameOf(stackName)}`,
        ),
      }),
    );
    new CfnOutput(this, 'DeployRoleArn', {
      value: this.deployRole.roleArn,
      description: 'The repository variable AWS_DEPLOY_ROLE_ARN (.github/workflows/deploy.yml)',
    });
  }
}
