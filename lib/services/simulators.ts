import { Duration } from 'aws-cdk-lib';
import { COURIER_EVENTS, TABLET_EVENTS } from '../../functions/simulators/subscriptions';
import { consumer, type ServiceContext } from './context';
import { ackDeadlineEnvironment } from './restaurant';

/**
 * The simulated actors (functions/simulators/): the restaurant's tablet, which acknowledges, rejects or ignores an
 * order, and the courier, who moves a shipment to delivered. They act through the services' own code and tables.
 */
export function addSimulators(ctx: ServiceContext) {
  const { tables, config } = ctx;
  const tablet = consumer(ctx, 'TabletSimulator', {
    service: 'simulators',
    entry: 'tablet',
    events: TABLET_EVENTS,
    environment: { ...ackDeadlineEnvironment(config), TABLET_SIMULATOR_CONFIG: JSON.stringify(config.tabletSimulator) },
  });
  tablet.fn.bindTables(tables, { write: ['restaurant'], outbox: true, idempotency: true });

  const courier = consumer(ctx, 'CourierSimulator', {
    service: 'simulators',
    entry: 'courier',
    events: COURIER_EVENTS,
    timeout: Duration.seconds(60),
    environment: { COURIER_SIMULATOR_CONFIG: JSON.stringify(config.courierSimulator) },
  });
  courier.fn.bindTables(tables, { write: ['shipping'], outbox: true, idempotency: true });
  return { tablet, courier };
}
