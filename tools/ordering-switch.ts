/**
 * The ordering switch's commands (`npm run ordering`, scripts/ordering.ts): what each one does to the state in the
 * SSM parameter (functions/shared/ordering-state.ts), and how a state reads to an operator.
 */
import type { OrderingState } from '../functions/shared/ordering-state';

export function applyCommand(state: OrderingState, command: string, merchantId?: string): OrderingState {
  const paused = new Set(state.pausedMerchants);
  switch (command) {
    case 'read-only':
      return { ...state, acceptingOrders: false };
    case 'open':
      return { ...state, acceptingOrders: true };
    case 'pause':
      return { ...state, pausedMerchants: [...paused.add(merchantId!)].sort() };
    case 'resume':
      paused.delete(merchantId!);
      return { ...state, pausedMerchants: [...paused].sort() };
    default:
      return state;
  }
}

export const describeState = (s: OrderingState) =>
  `${s.acceptingOrders ? 'OPEN: taking orders' : 'READ-ONLY: new orders refused (503), menus and order status still served'}; paused merchants: ${s.pausedMerchants.join(', ') || 'none'}`;
