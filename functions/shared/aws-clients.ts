/**
 * SDK v3 clients, created once per execution environment and traced. Endpoints come from the SDK's standard
 * AWS_ENDPOINT_URL_<SERVICE> variables, which is how the offline mode and LocalStack redirect them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

// Lambda functions are short-lived and the API has a 29 s ceiling: fail fast rather than retry for long.
const clientConfig = { maxAttempts: 3 };

export const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig));
export const ddb = DynamoDBDocumentClient.from(dynamodb, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});

let eventBridge: EventBridgeClient | undefined;
/** Only the outbox relay publishes; lazily created so other functions never open the client. */
export function eventBridgeClient(): EventBridgeClient {
  eventBridge ??= tracer.captureAWSv3Client(new EventBridgeClient(clientConfig));
  return eventBridge;
}

let sqs: SQSClient | undefined;
/**
 * Consumers change the visibility of the records they failed (retry-policy.ts); lazily created. The queue URL is
 * a parameter, not the endpoint: the endpoint is the region's (or AWS_ENDPOINT_URL_SQS offline and on LocalStack).
 */
export function sqsClient(): SQSClient {
  sqs ??= tracer.captureAWSv3Client(new SQSClient({ ...clientConfig, useQueueUrlAsEndpoint: false }));
  return sqs;
}
