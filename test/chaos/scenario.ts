/**
 * The chaos scenario's pieces: accounts, the phases (a fault started, load while it lasts, the fault
 * ended) and the continuous bystander load each phase carries, with every sent event kept for reconcile.
 */
import { randomBytes } from 'node:crypto';
import { type LoadAccount, type LoadSummary, runLoad, type SentEvent } from '../../cli/load/load-core.js';
import {
  type DevAccount,
  newDevAccount,
  registerAccount,
  UNTHROTTLED_KEY_LIMITS,
} from '../../local/accounts.js';
import { localStack } from '../helpers/local-stack-client.js';

export async function givenAccounts(prefix: string, count: number): Promise<DevAccount[]> {
  const stack = localStack();
  const accounts = Array.from({ length: count }, () => newDevAccount(prefix));
  for (const account of accounts) {
    // Keys with limits above the load's rate: the scenario is about faults, not the per-key throttle.
    await registerAccount(stack, account, UNTHROTTLED_KEY_LIMITS);
  }
  return accounts;
}

/** Every event the scenario sent, in the form `reconcile` reads. */
export class RunLog {
  readonly events: SentEvent[] = [];
  private readonly listeners: ((event: SentEvent) => void)[] = [];

  onEvent(listener: (event: SentEvent) => void): void {
    this.listeners.push(listener);
  }

  add(event: SentEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }
}

export interface LoadPlan {
  accounts: LoadAccount[];
  /** Events per second, all accounts together. */
  rate: number;
  batchSize?: number;
  makeEvent?: Parameters<typeof runLoad>[0]['makeEvent'];
}

/**
 * Runs `plan`'s load tagged `tag` while `during` runs (the fault), and stops the load when it resolves;
 * resolves with the load's summary and what `during` resolved with.
 */
export async function loadDuring<T>(
  log: RunLog,
  tag: string,
  plan: LoadPlan,
  during: () => Promise<T>,
): Promise<{ load: LoadSummary; result: T }> {
  const stop = new AbortController();
  const load = runLoad({
    ingestUrl: localStack().ingestUrl,
    accounts: plan.accounts,
    // Bounded by the phase, not by a count: the load stops when the fault ends.
    events: 1_000_000,
    rate: plan.rate,
    batchSize: plan.batchSize ?? 10,
    concurrency: 4,
    tag,
    ...(plan.makeEvent ? { makeEvent: plan.makeEvent } : {}),
    onEvent: (event) => log.add(event),
    signal: stop.signal,
  });
  try {
    const result = await during();
    return { load: await stopped(stop, load), result };
  } catch (error) {
    await stopped(stop, load);
    throw error;
  }
}

async function stopped(stop: AbortController, load: Promise<LoadSummary>): Promise<LoadSummary> {
  stop.abort();
  return load;
}

/** Events with a distinct long user id each: a flood of users in one hour (the rollups stay bounded). */
export function distinctUsers(): NonNullable<LoadPlan['makeEvent']> {
  const run = randomBytes(4).toString('hex');
  return (account, sequence, now) => ({
    event_id: `flood-${run}-${sequence}`,
    account_id: account.accountId,
    type: 'page_view',
    timestamp: new Date(now).toISOString(),
    user_id: `user-${run}-${sequence}-${'u'.repeat(200)}`,
    path: `/flood/${sequence % 500}`,
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
