/**
 * SDK v3 clients, created once per execution environment and traced. Endpoints come from the SDK's standard
 * AWS_ENDPOINT_URL_<SERVICE> variables, which is how the offline mode and LocalStack redirect them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { datastoreFailure, dependencyFailure } from './faults';
import { traced } from './powertools';

// Lambda functions are short-lived and the API has a 29 s ceiling: fail fast rather than retry for long.
const clientConfig = { maxAttempts: 3 };

export const dynamodb = traced(new DynamoDBClient(clientConfig));
// Game-day hook (functions/shared/faults/): datastore-errors and an API's lost dependency fail the call here, before it
// is sent, as the service would refuse it. The document client below shares this middleware stack.
dynamodb.middlewareStack.add(
  (next) => async (args) => {
    const failure = dependencyFailure() ?? datastoreFailure();
    if (failure) throw failure;
    return next(args);
  },
  { step: 'initialize', name: 'shopwaveGameDayFaults' },
);
export const ddb = DynamoDBDocumentClient.from(dynamodb, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});

let eventBridge: EventBridgeClient | undefined;
/** Only the outbox relay publishes; lazily created so other functions never open the client. */
export function eventBridgeClient(): EventBridgeClient {
  if (!eventBridge) {
    eventBridge = traced(new EventBridgeClient(clientConfig));
    eventBridge.middlewareStack.add(
      (next) => async (args) => {
        const failure = dependencyFailure();
        if (failure) throw failure;
        return next(args);
      },
      { step: 'initialize', name: 'shopwaveGameDayFaults' },
    );
  }
  return eventBridge;
}

let sqs: SQSClient | undefined;
/**
 * Consumers change the visibility of the records they failed (retry-policy.ts); lazily created. The queue URL is
 * a parameter, not the endpoint: the endpoint is the region's (or AWS_ENDPOINT_URL_SQS offline and on LocalStack).
 */
export function sqsClient(): SQSClient {
  sqs ??= traced(new SQSClient({ ...clientConfig, useQueueUrlAsEndpoint: false }));
  return sqs;
}
