/** The merchant API's authentication: an API key (merchant-keys.ts) → the one merchant it acts for. */
import { countAuthFailure } from '../shared/auth-metrics';
import { ddb } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';
import { HttpError, type ApiMiddleware } from '../shared/http';
import { logger } from '../shared/powertools';
import { checkMerchantKey, keyIdOf } from './merchant-keys';

/**
 * Authenticates every request of the merchant API by its `x-api-key`: 401 without a valid key, counted once with
 * why (AuthFailures, shared/auth-metrics.ts). Which merchant the key may act for is the route's check
 * (`req.context.merchantId` against the path; its 403 counts as `merchant-forbidden`).
 */
export function merchantKeyAuth(): ApiMiddleware {
  return {
    before: async ({ context }) => {
      const checked = await checkMerchantKey(ddb, requireEnv('RESTAURANT_TABLE_NAME'), context.api?.headers['x-api-key']);
      if (!('merchantId' in checked)) {
        countAuthFailure(`merchant-key-${checked.refused}`);
        logger.info('merchant key rejected', { reason: checked.refused, merchantKeyId: keyIdOf(context.api?.headers['x-api-key']) });
        throw new HttpError(401, 'UNAUTHORIZED', 'a valid merchant API key is required (x-api-key)', undefined, {
          'www-authenticate': 'ApiKey realm="shopwave-merchants"',
        });
      }
      const { merchantId } = checked;
      context.merchantId = merchantId;
      // Which key made each call, for audit and before a revocation (the id is the key's public part).
      logger.appendKeys({ merchantId, merchantKeyId: keyIdOf(context.api?.headers['x-api-key']) });
    },
  };
}
