/**
 * What the queues, the idempotency tables and the conditional writes promise, checked end to end: a duplicated
 * event has one effect, a poison message parks in the consumer's DLQ after maxReceiveCount, and concurrent orders
 * never oversell. Visibility timeouts are scaled down (timeScale) so retries take seconds, not minutes.
 */
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import path from 'node:path';
import { listDlq, offlineLastErrors, redrive } from '../../tools/redrive';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../offline/runtime/wait';
import { MAX_RECEIVE_COUNT } from '../../lib/constructs/event-consumer';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
let sqs: SQSClient;
const seen: { detailType: string; detail: any }[] = [];

beforeAll(async () => {
  t = await startTestPlatform({ timeScale: 1 / 60 });
  sqs = t.platform.sqsClient();
  t.platform.onEvent((event: any) => seen.push({ detailType: event['detail-type'], detail: event.detail }));
});
afterAll(() => t?.stop());

const eventsFor = (orderId: string, detailType: string) =>
  seen.filter((e) => e.detailType === detailType && e.detail.data.orderId === orderId);

async function queueDrained(queueUrl: string): Promise<boolean> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Object.values(Attributes ?? {}).every((v) => v === '0');
}

describe('delivery guarantees', () => {
  it('gives a duplicated event exactly one effect', async () => {
    const placed = await t.placeOrder('c-alice', 'm-pizza', [{ productId: 'p-truffle-pizza', quantity: 1 }]);
    const orderId = placed.body.orderId;
    await waitFor(() => eventsFor(orderId, 'inventory.reserved').length === 1, { timeoutMs: 20_000 });
    const [created] = eventsFor(orderId, 'order.created');

    // The bus delivers the very same event again (same metadata.eventId), as at-least-once delivery may.
    await t.platform.putEvents([
      {
        Source: 'shopwave.orders',
        DetailType: 'order.created',
        Detail: JSON.stringify(created.detail),
        EventBusName: t.platform.model.buses[0].name,
      },
    ]);
    await waitFor(() => eventsFor(orderId, 'order.created').length === 2, { timeoutMs: 10_000 });
    await waitFor(() => queueDrained(t.platform.queueUrl('InventoryConsumerQueue')), { timeoutMs: 20_000 });
    await t.waitForStatus(orderId, 'DELIVERED');

    expect(eventsFor(orderId, 'inventory.reserved')).toHaveLength(1);
    expect(eventsFor(orderId, 'payment.processed')).toHaveLength(1);
    const moves = await t.doc.send(
      new QueryCommand({
        TableName: t.table('DataInventory'),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :move)',
        ExpressionAttributeValues: { ':pk': 'PRODUCT#p-truffle-pizza', ':move': 'MOVE#' },
      }),
    );
    expect(moves.Items!.filter((m) => m.orderId === orderId)).toHaveLength(1);
  });

  it('parks a poison message in the consumer DLQ after maxReceiveCount', async () => {
    const poisonId = randomUUID();
    const detail = {
      metadata: {
        eventId: poisonId,
        correlationId: 'poison',
        causationId: 'poison',
        occurredAt: new Date().toISOString(),
        schemaVersion: 1,
      },
      data: { orderId: 'poison-order', customerId: 'c-alice' }, // breaks the order.created contract: no items, no total
    };
    await t.platform.putEvents([
      {
        Source: 'shopwave.orders',
        DetailType: 'order.created',
        Detail: JSON.stringify(detail),
        EventBusName: t.platform.model.buses[0].name,
      },
    ]);

    const dlqUrl = t.platform.queueUrl('InventoryConsumerDeadLetterQueue');
    let parked: any;
    await waitFor(
      async () => {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, AttributeNames: ['All'] }),
        );
        parked = Messages?.find((m) => JSON.parse(m.Body!).detail.metadata.eventId === poisonId);
        return parked !== undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(Number(parked.Attributes.ApproximateReceiveCount)).toBeGreaterThanOrEqual(MAX_RECEIVE_COUNT);
    expect(await queueDrained(t.platform.queueUrl('InventoryConsumerQueue'))).toBe(true);

    // Redrive moves it back to the consumer; still poison, it fails again and parks again: nothing is lost.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: parked.ReceiptHandle, VisibilityTimeout: 0 }));
    expect(await redrive(sqs, dlqUrl, t.platform.queueUrl('InventoryConsumerQueue'))).toBeGreaterThanOrEqual(1);
    await waitFor(
      async () => {
        const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        return (Messages ?? []).some((m) => JSON.parse(m.Body!).detail.metadata.eventId === poisonId);
      },
      { timeoutMs: 60_000, description: 'the redriven poison message to park again' },
    );

    // `npm run redrive -- list` shows it with the consumer's last error, read from the consumer's own log file.
    const consumer = t.platform.model.functions.find((f) => f.logicalId.startsWith('InventoryConsumerHandler'))!;
    const lastErrors = offlineLastErrors(path.join(import.meta.dirname, '..', '..', '.offline', 'logs'), [consumer.functionName]);
    let listed: Awaited<ReturnType<typeof listDlq>>[number] | undefined;
    await waitFor(
      async () => {
        listed = (await listDlq(sqs, dlqUrl, { lastErrors })).find((m) => m.eventId === poisonId);
        return listed !== undefined;
      },
      { timeoutMs: 30_000, description: 'the parked poison message to be listed' },
    );
    expect(listed).toMatchObject({ detailType: 'order.created', orderId: 'poison-order', correlationId: 'poison' });
    expect(listed!.receiveCount).toBeGreaterThanOrEqual(1);
    expect(listed!.lastError).toMatchObject({ function: consumer.functionName });
    expect(listed!.lastError!.error).toMatch(/^ContractError: 'order.created' does not match its contract/);
  });

  it('accepts exactly N of many concurrent orders for a product with stock N', async () => {
    const { body: product } = await t.api('GET', '/products/p-truffle-pizza');
    const stock = product.stock as number;
    expect(stock).toBeGreaterThan(0);
    const attempts = stock + 5;
    const placed = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        t.placeOrder(i % 2 ? 'c-alice' : 'c-bob', 'm-pizza', [{ productId: 'p-truffle-pizza', quantity: 1 }]),
      ),
    );
    expect(placed.map((p) => p.status)).toEqual(Array(attempts).fill(202));
    const outcomes = await Promise.all(
      placed.map(async (p) => {
        let status = '';
        await waitFor(async () => ['DELIVERED', 'REJECTED'].includes((status = (await t.readOrder(p.body.orderId)).body.status)), {
          timeoutMs: 45_000,
        });
        return status;
      }),
    );
    expect(outcomes.filter((s) => s === 'DELIVERED')).toHaveLength(stock);
    expect(outcomes.filter((s) => s === 'REJECTED')).toHaveLength(5);
    expect((await t.api('GET', '/products/p-truffle-pizza')).body.stock).toBe(0);
  });
});
