/**
 * What the pre-traffic hook (functions/deploy/pre-traffic.ts) does with each function's new version, by how the
 * function is triggered. CDK decides the kind from the template (lib/constructs/pre-traffic-hook.ts) and passes the
 * map function name → kind in PRE_TRAFFIC_PROBES; this module is shared by both sides and imports nothing.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * - `sqs`, `stream`: a queue or DynamoDB-stream consumer, invoked with an empty batch (`{"Records": []}`), which
 *   Powertools' processPartialResponse answers with no failures and no record handled; it must answer without a
 *   FunctionError.
 * - `api`: behind API Gateway, invoked with a GET of a path no route has; it must answer with a statusCode < 500
 *   (405 from the route table, or 401 from a route's authentication first).
 * - `schedule`: a scheduled reconciler, check or export, which does real work on every run: NOT invoked; the new
 *   version only has to exist and be Active.
 * - `untriggered`: nothing in the template invokes it (yet): treated as `schedule`, never invoked.
 */
export const PROBE_KINDS = ['sqs', 'stream', 'api', 'schedule', 'untriggered'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** The environment variable holding the JSON map function name → ProbeKind. */
export const PROBES_ENV = 'PRE_TRAFFIC_PROBES';

/** Kinds whose new version is invoked; the others are checked with GetFunctionConfiguration only. */
export const INVOKED_KINDS: readonly ProbeKind[] = ['sqs', 'stream', 'api'];

/** The path of the API probe: no route of the platform has it. */
export const PROBE_PATH = '/__codedeploy/pre-traffic';

/** The probe's payload for a kind that is invoked. */
export function probeEvent(kind: ProbeKind, deploymentId: string): unknown {
  if (kind === 'sqs' || kind === 'stream') return { Records: [] };
  if (kind !== 'api') throw new Error(`functions of kind ${kind} are not invoked`);
  const headers = {
    accept: 'application/json',
    'user-agent': 'shopwave-pre-traffic-hook',
    'x-correlation-id': `pre-traffic-${deploymentId}`,
  };
  const event: APIGatewayProxyEvent = {
    resource: PROBE_PATH,
    path: PROBE_PATH,
    httpMethod: 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'pre-traffic',
      httpMethod: 'GET',
      path: PROBE_PATH,
      stage: 'pre-traffic',
      requestId: `pre-traffic-${deploymentId}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'pre-traffic',
      resourcePath: PROBE_PATH,
      protocol: 'HTTP/1.1',
      authorizer: null,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'shopwave-pre-traffic-hook',
        userArn: null,
      },
    },
  };
  return event;
}
