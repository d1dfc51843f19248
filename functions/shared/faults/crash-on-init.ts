/**
 * crash-on-init (seed 004, crashloop): the function fails while initialising, so every invocation fails before a
 * record is looked at; the messages stay on the queue (or reach the DLQ) until the fault is cleared.
 */
import { faultsOf } from './config';

export class InitCrash extends Error {
  override name = 'InitCrash';
}

export function crashIfInjected(where: string): void {
  const [fault] = faultsOf('crash-on-init');
  if (fault) throw new InitCrash(fault.message ?? `${where} failed to initialise (game-day fault crash-on-init)`);
}
