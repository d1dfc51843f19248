/** tracking-api: GET /orders/{id}/tracking → the shipment and its tracking points, oldest first. */
import * as z from 'zod';
import { customerAuth } from '../shared/auth';
import { createApiHandler, HttpError, IdSchema, parseInput } from '../shared/http';
import { getShipment, trackingPoints } from './shipments';

export const handler = createApiHandler({
  'GET /orders/{id}/tracking': async (req) => {
    const { customerId } = req.customer();
    const { id } = parseInput(z.strictObject({ id: IdSchema }), req.event.pathParameters, 'path');
    const shipment = await getShipment(id);
    // Another customer's shipment answers exactly like one that does not exist yet.
    if (!shipment || shipment.customerId !== customerId) {
      throw new HttpError(404, 'NOT_FOUND', `no tracking for order ${id} yet: tracking starts once the restaurant accepts the order`);
    }
    const { shipmentId, courierId, status } = shipment;
    return { statusCode: 200, body: { orderId: id, shipmentId, courierId, status, points: await trackingPoints(id) } };
  },
}).use(customerAuth());
