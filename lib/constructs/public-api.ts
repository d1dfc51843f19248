import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  ResponseType,
  RestApi,
  type IResource,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { API_THROTTLED_REQUESTS, NAMESPACE } from './business-metrics';
import { xrayTracing } from './otel-tracing';
import { ServiceFunction } from './service-function';

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** API Gateway resource path, e.g. '/orders/{id}/tracking'. */
  path: string;
  handler: IFunction;
  /** Tighter than the stage's 50 rps / burst 100, for routes that write (API Gateway per-method throttling). */
  throttle?: { rateLimit: number; burstLimit: number };
}

/**
 * The public REST API (API Gateway v1: LocalStack community serves v1, not HTTP APIs), Lambda proxy per route.
 * Stage throttling bounds abuse; access logs are JSON. Bodies are validated in the handlers (one schema per route),
 * so the same rules hold on every target, offline included.
 */
export class PublicApi extends Construct {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: { config: PlatformConfig; routes: ApiRoute[] }) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    // API Gateway counts a throttled request (429) in 4XXError and publishes no metric of its own for it: the access
    // log has the status, so a metric filter makes one (the dashboard's 4xx graph; offline, the runtime evaluates it
    // on the access log its API Gateway writes: offline/runtime/log-metric-filters.ts).
    // Not on LocalStack 4.14: no provider for AWS::Logs::MetricFilter (lib/targets/localstack-4.14.json).
    if (props.config.target !== 'localstack')
      new MetricFilter(this, 'ThrottledRequests', {
        logGroup: accessLogs,
        filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
        metricNamespace: NAMESPACE,
        metricName: API_THROTTLED_REQUESTS,
        metricValue: '1',
        defaultValue: 0,
      });
    this.api = new RestApi(this, 'Api', {
      restApiName: Stack.of(this).stackName, // the ApiName dimension of its CloudWatch metrics
      description: 'ShopWave public API',
      cloudWatchRole: props.config.awsOnly,
      ...(props.config.awsOnly ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY } : {}),
      deployOptions: {
        stageName: 'prod',
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
        // Method settings are keyed '<resource path>/<METHOD>'.
        methodOptions: Object.fromEntries(
          props.routes
            .filter((r) => r.throttle)
            .map((r) => [
              `${r.path}/${r.method}`,
              { throttlingRateLimit: r.throttle!.rateLimit, throttlingBurstLimit: r.throttle!.burstLimit },
            ]),
        ),
        // X-Ray on the stage with tracing=xray only: with otel nothing is recorded in X-Ray (lib/constructs/otel-tracing.ts).
        tracingEnabled: xrayTracing(props.config),
        // Execution logs need the account-level CloudWatch role, which only the aws target creates.
        loggingLevel: props.config.awsOnly ? MethodLoggingLevel.ERROR : MethodLoggingLevel.OFF,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    // API Gateway's own answers (403 Missing Authentication Token, 429, 413, 504 and the rest) carry the security
    // headers the handlers send (functions/shared/http.ts): header values are literals in single quotes. AWS only:
    // LocalStack 4.14 has a provider for AWS::ApiGateway::GatewayResponse, but its update is not implemented (a
    // changed header would fail a redeploy there); offline, the emulator sends the same headers itself.
    if (props.config.awsOnly) {
      const responseHeaders = {
        'X-Content-Type-Options': "'nosniff'",
        'Cache-Control': "'no-store'",
        'Strict-Transport-Security': "'max-age=31536000; includeSubDomains'",
      };
      this.api.addGatewayResponse('Default4xx', { type: ResponseType.DEFAULT_4XX, responseHeaders });
      this.api.addGatewayResponse('Default5xx', { type: ResponseType.DEFAULT_5XX, responseHeaders });
    }

    // API Gateway checks what it can (required parameters); each handler validates the body against its schema.
    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const integrations = new Map<IFunction, LambdaIntegration>();
    for (const route of props.routes) {
      let integration = integrations.get(route.handler);
      // A platform function is invoked through its `live` alias on aws (CodeDeploy shifts it), directly elsewhere.
      const invoked = route.handler instanceof ServiceFunction ? route.handler.invoked : route.handler;
      if (!integration) integrations.set(route.handler, (integration = new LambdaIntegration(invoked)));
      const resource = route.path
        .split('/')
        .filter(Boolean)
        .reduce<IResource>((parent, part) => parent.getResource(part) ?? parent.addResource(part), this.api.root);
      resource.addMethod(route.method, integration, { requestValidator: validator });
    }

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Customer routes verify bearer JWTs and merchant routes API keys inside the handlers (middy middlewares, functions/shared/auth.ts and functions/restaurant/merchant-auth.ts) on every target: LocalStack community runs no authorizers. Catalog, health and readiness are public by design.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          "No Cognito authorizer: on the aws target the handlers verify the user pool's ID tokens themselves (lib/constructs/customer-identity.ts), with the same middleware that runs on LocalStack and offline, so the tested path is the deployed one.",
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is AWS-only and billed per web ACL in a sandbox; stage and per-route throttling bound abuse. Listed as not built in docs/security.md.',
      },
    );
    if (props.config.awsOnly) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level role API Gateway needs to write execution logs; AWS maintains its narrow policy.',
      });
    } else {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG6',
        reason:
          'Execution logging needs the account-level API Gateway CloudWatch role, created only for the aws target; access logs are on.',
      });
    }
  }
}
