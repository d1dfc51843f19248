/**
 * Injecting a scenario on a target and clearing it, with an injection log: every change records what was there
 * before, what was set, when and by whom, so `clear` restores exactly the previous configuration (not "no faults":
 * a fault someone else set by hand stays). Targets: the offline platform (offline/shopwave/platform.ts) and a
 * deployed stack (./aws-target.ts), behind the same interface and found by the same watch names.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { FAULTS_ENV, parseFaults, serializeFaults } from '../../functions/shared/faults/config';
import type { Scenario } from './scenario';

export interface RuleState {
  state: 'ENABLED' | 'DISABLED';
  eventPattern?: string;
}

export interface GameDayTarget {
  /** 'offline' or the stack's name. */
  name: string;
  /** SHOPWAVE_FAULTS of the function with this watch name (undefined when unset), and its physical name. */
  getFaultsVar(watchName: string): Promise<{ physical: string; value: string | undefined }>;
  setFaultsVar(watchName: string, value: string | undefined): Promise<void>;
  getRule(watchName: string): Promise<{ physical: string } & RuleState>;
  setRule(watchName: string, rule: RuleState): Promise<void>;
}

export type Change =
  | { kind: 'function-env'; resource: string; physical: string; variable: string; before: string | null; after: string | null }
  | { kind: 'rule'; resource: string; physical: string; before: RuleState; after: RuleState };

export interface Injection {
  id: string;
  scenario: string;
  target: string;
  at: string;
  by: string;
  changes: Change[];
  clearedAt?: string;
  clearedBy?: string;
}

/** Where injections are recorded. In memory offline; a JSON file per stack for deployed targets. */
export interface InjectionLog {
  read(): Injection[];
  write(entries: Injection[]): void;
}

export function memoryLog(): InjectionLog {
  let entries: Injection[] = [];
  return { read: () => structuredClone(entries), write: (e) => void (entries = structuredClone(e)) };
}

/** `.game-days/injections-<target>.json` (git-ignored): the record `clear` and `report --stack` read. */
export function fileLog(file: string): InjectionLog {
  return {
    read: () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Injection[]) : []),
    write: (entries) => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(entries, null, 2)}\n`);
    },
  };
}

export const defaultLogFile = (root: string, target: string) => path.join(root, '.game-days', `injections-${target}.json`);

export function whoAmI(): string {
  try {
    return process.env.GAME_DAY_BY ?? userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Injects `scenario` (its faults added to whatever SHOPWAVE_FAULTS holds, its rule changes) and records it. */
export async function inject(target: GameDayTarget, log: InjectionLog, scenario: Scenario, by = whoAmI()): Promise<Injection> {
  const open = log.read().filter((i) => !i.clearedAt && i.scenario === scenario.name);
  if (open.length) throw new Error(`${scenario.name} is already injected on ${target.name} (at ${open[0].at}); clear it first`);
  const changes: Change[] = [];
  const entry: Injection = {
    id: `${Date.now().toString(36)}-${scenario.name}`,
    scenario: scenario.name,
    target: target.name,
    at: new Date().toISOString(),
    by,
    changes,
  };
  const record = () => log.write([...log.read().filter((i) => i.id !== entry.id), entry]);
  // Each change is recorded as soon as it is made: a failure half-way leaves a log that `clear` can undo.
  for (const [watch, faults] of Object.entries(scenario.inject.functions ?? {})) {
    const { physical, value } = await target.getFaultsVar(watch);
    const after = serializeFaults([...parseFaults(value), ...faults]);
    await target.setFaultsVar(watch, after);
    changes.push({ kind: 'function-env', resource: watch, physical, variable: FAULTS_ENV, before: value ?? null, after });
    record();
  }
  for (const [watch, change] of Object.entries(scenario.inject.rules ?? {})) {
    const { physical, ...before } = await target.getRule(watch);
    const after: RuleState =
      'state' in change ? { ...before, state: change.state } : { ...before, eventPattern: JSON.stringify(change.eventPattern) };
    await target.setRule(watch, after);
    changes.push({ kind: 'rule', resource: watch, physical, before, after });
    record();
  }
  record();
  return entry;
}

/** Undoes every open injection (or one scenario's), newest first, restoring each `before`; returns what was cleared. */
export async function clear(target: GameDayTarget, log: InjectionLog, scenario?: string, by = whoAmI()): Promise<Injection[]> {
  const entries = log.read();
  const open = entries.filter((i) => !i.clearedAt && i.target === target.name && (!scenario || i.scenario === scenario)).reverse();
  for (const entry of open) {
    for (const change of [...entry.changes].reverse()) {
      if (change.kind === 'function-env') await target.setFaultsVar(change.resource, change.before ?? undefined);
      else await target.setRule(change.resource, change.before);
    }
    entry.clearedAt = new Date().toISOString();
    entry.clearedBy = by;
    log.write(entries);
  }
  return open;
}

/** Open injections on this target and the faults each function carries now. */
export function openInjections(log: InjectionLog, target: string): Injection[] {
  return log.read().filter((i) => !i.clearedAt && i.target === target);
}
