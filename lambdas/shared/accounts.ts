/**
 * Accounts: an item of the accounts table is `{ accountId, name, createdAt }`. The CLI creates them
 * (`accounts create`) and checks that a key's account exists (`keys create`); no function reads them.
 */
import { randomBytes } from 'node:crypto';

export interface AccountItem {
  accountId: string;
  /** A name a person recognises the account by; the id when none was given. */
  name: string;
  createdAt: string;
}

/** A new account id: `acct_` and 48 random bits in hex. */
export function newAccountId(): string {
  return `acct_${randomBytes(6).toString('hex')}`;
}

/** The item of an account. */
export function accountItem(
  accountId: string,
  options: { name?: string | undefined; now: Date },
): AccountItem {
  return { accountId, name: options.name ?? accountId, createdAt: options.now.toISOString() };
}
