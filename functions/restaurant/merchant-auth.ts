/** The merchant API's authentication: an API key (merchant-keys.ts) → the one merchant it acts for. */
import { ddb } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';
import { HttpError, type ApiMiddleware } from '../shared/http';
import { logger } from '../shared/powertools';
import { keyIdOf, merchantOfKey } from './merchant-keys';

/**
 * Authenticates every request of the merchant API by its `x-api-key`: 401 without a valid key. Which merchant the
 * key may act for is the route's check (`req.context.merchantId` against the path).
 */
export function merchantKeyAuth(): ApiMiddleware {
  return {
    before: async ({ context }) => {
      const merchantId = await merchantOfKey(ddb, requireEnv('RESTAURANT_TABLE_NAME'), context.api?.headers['x-api-key']);
      if (!merchantId) {
        throw new HttpError(401, 'UNAUTHORIZED', 'a valid merchant API key is required (x-api-key)', undefined, {
          'www-authenticate': 'ApiKey realm="shopwave-merchants"',
        });
      }
      context.merchantId = merchantId;
      // Which key made each call, for audit and before a revocation (the id is the key's public part).
      logger.appendKeys({ merchantId, merchantKeyId: keyIdOf(context.api?.headers['x-api-key']) });
    },
  };
}
