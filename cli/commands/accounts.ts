/**
 * `accounts create|list`: the accounts keys belong to. `accounts create` also gives the new account a
 * write key and a read key (shown once), so it can post and read at once; `keys create` adds more.
 */
import { accountItem, newAccountId } from '../../lambdas/shared/accounts.js';
import {
  type Command,
  parseOptions,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOptions,
  UsageError,
} from '../command.js';
import type { Output } from '../output.js';
import { resolveTarget, type Target } from '../target.js';
import { newKeyStored } from './keys.js';
import { keyTablesOf, listAccounts, putAccount } from './keys-store.js';

const USAGE = `pipeline accounts create [--name <name>] [--id <account-id>] [--no-keys] [target options]
       pipeline accounts list [target options]

  --name      a name people know the account by, up to 256 characters (default: its id)
  --id        the account id: 1 to 64 letters, digits, "_", "." or "-" (default: acct_ and 12
              random hex digits)
  --no-keys   create no keys (add them with \`pipeline keys create\`)

${TARGET_USAGE}`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  name: { type: 'string' },
  id: { type: 'string' },
  'no-keys': { type: 'boolean' },
} as const;

/** Account ids are part of keys, document ids and partition keys: short and plain. */
const ACCOUNT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** Characters of an account's name, at most. */
export const MAX_ACCOUNT_NAME_LENGTH = 256;
/** Control characters (Unicode Cc): a newline or an escape sequence in a name would garble listings. */
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * `value` as an account id, or a usage error naming `option`: an id `accounts create` could not have
 * made names no account (and one of 3,000 characters would only fail later as a DynamoDB key error).
 */
export function checkedAccountId(value: string, option: string): string {
  if (!ACCOUNT_ID.test(value)) {
    throw new UsageError(
      `${option} must be 1 to 64 letters, digits, "_", "." or "-", got ${printable(value)}`,
    );
  }
  return value;
}

/** `--name`: 1 to 256 characters, any script, no control characters. */
function checkedName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (name.length > MAX_ACCOUNT_NAME_LENGTH || CONTROL_CHARACTER.test(name)) {
    throw new UsageError(
      `--name must be 1 to ${MAX_ACCOUNT_NAME_LENGTH} characters without control characters (newlines, escape sequences), got ${printable(name)}`,
    );
  }
  return name;
}

/** A value from the command line, quoted for a message: cut, control characters shown as `?`. */
function printable(value: string): string {
  const shown = value.replace(/\p{Cc}/gu, '?');
  return shown.length > 64 ? `"${shown.slice(0, 64)}…" (${value.length} characters)` : `"${shown}"`;
}

export const accountsCommand: Command = {
  name: 'accounts',
  summary: 'create and list accounts (a new account gets a write key and a read key)',
  usage: USAGE,
  async run({ args, output }) {
    const [action, ...rest] = args;
    if (action !== 'create' && action !== 'list') {
      throw new UsageError(
        action ? `unknown accounts action "${action}"` : 'accounts needs an action: create or list',
      );
    }
    const { values } = parseOptions(rest, OPTIONS);
    const target = await resolveTarget(targetOptions(values));
    try {
      return action === 'list' ? await listAll(target, output) : await createAccount(values, target, output);
    } finally {
      target.close();
    }
  },
};

async function listAll(target: Target, output: Output): Promise<number> {
  const accounts = await listAccounts(keyTablesOf(target));
  output.line(`${accounts.length} account(s) in ${target.label}:`);
  output.line();
  output.table(
    ['account id', 'name', 'created'],
    accounts
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((account) => [account.accountId, account.name, account.createdAt.slice(0, 19).replace('T', ' ')]),
  );
  return 0;
}

/** `accounts create`: the account, and unless `--no-keys` a write key and a read key, shown once. */
export async function createAccount(
  values: { id?: string; name?: string; 'no-keys'?: boolean },
  target: Target,
  output: Output,
): Promise<number> {
  const tables = keyTablesOf(target);
  const accountId = checkedAccountId(values.id ?? newAccountId(), '--id');
  const name = checkedName(values.name);
  if (!(await putAccount(tables, accountItem(accountId, { name, now: new Date() })))) {
    output.note(`account ${accountId} already exists in ${target.label}`);
    return 1;
  }
  output.line(`Created account ${accountId}${name ? ` (${name})` : ''} in ${target.label}.`);
  if (values['no-keys']) return 0;
  const write = await newKeyStored(tables, { accountId, scope: 'write' }, target);
  let read: Awaited<ReturnType<typeof newKeyStored>>;
  try {
    read = await newKeyStored(tables, { accountId, scope: 'read' }, target);
  } catch (error) {
    // The write key exists: its secret is shown now or never (it would be an active key nobody holds).
    output.line();
    output.table(['scope', 'key id', 'secret'], [['write', write.item.keyId, write.secret]]);
    output.line();
    output.line('Store the secret now: it is not shown again (the table keeps only its hash).');
    output.note(
      `the read key was not created (${(error as Error).message}): add one with \`pipeline keys create --account ${accountId} --scope read\``,
    );
    return 1;
  }
  output.line();
  output.table(
    ['scope', 'key id', 'secret'],
    [
      ['write', write.item.keyId, write.secret],
      ['read', read.item.keyId, read.secret],
    ],
  );
  output.line();
  output.line('Store the secrets now: they are not shown again (the table keeps only their hashes).');
  output.line('The write key may sit in a web page; the read key is secret (stats, live events).');
  return 0;
}
