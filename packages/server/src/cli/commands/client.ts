import type { Command } from 'commander';
import type { Environment } from '../../config.js';
import { Provisioning, ProvisioningError } from '../../provisioning/provisioning.js';
import { type CommonOptions, commonOptions } from '../common-options.js';
import { outputFor } from '../output.js';
import { databaseUrlArgument, idArgument, nonEmptyArgument, UsageError } from '../usage.js';
import { withStore } from '../with-store.js';

interface ClientAddOptions extends CommonOptions {
  name: string;
  dealer?: string[];
  allDealers?: boolean;
}

export function registerClientCommands(program: Command, env: Environment): void {
  const client = program.command('client').description('manage partner API clients');

  commonOptions(
    client
      .command('add')
      .description('add a client and print its credentials (the secret is shown only now)')
      .requiredOption('--name <name>', 'a name to recognise the client by')
      .option('--dealer <dealerId...>', 'a dealer the client may reach (repeatable): a dealer app')
      .option('--all-dealers', 'the client may reach every dealer: a platform partner'),
  ).action(async (options: ClientAddOptions) => {
    const name = nonEmptyArgument('--name', options.name);
    const dealers = dealerScope(options);
    const url = databaseUrlArgument(options.db, env);
    // A platform partner (--all-dealers) may be the first thing in a new database; a dealer app may not.
    const firstDealer = dealers === 'all' ? undefined : dealers[0];
    const created = await withStore(
      url,
      (store) => new Provisioning(store.db).addClient(name, dealers),
      firstDealer === undefined
        ? undefined
        : (where) => new ProvisioningError('dealer_not_found', `no dealer with id ${firstDealer}: ${where}`),
    );
    const scope = created.dealerIds === 'all' ? 'all dealers' : dealerList(created.dealerIds);
    outputFor(options.json).result(
      {
        client_id: created.clientId,
        client_secret: created.clientSecret,
        name: created.name,
        dealers: created.dealerIds,
      },
      `client "${created.name}" added for ${scope}\n` +
        `client_id:     ${created.clientId}\n` +
        `client_secret: ${created.clientSecret}\n` +
        'Store the secret now: it is not kept and cannot be shown again.',
    );
  });

  commonOptions(
    client
      .command('revoke')
      .description('revoke a client: its tokens stop working within seconds')
      .argument('<clientId>'),
  ).action(async (clientId: string, options: CommonOptions) => {
    const url = databaseUrlArgument(options.db, env);
    const id = nonEmptyArgument('clientId', clientId);
    await withStore(
      url,
      (store) => new Provisioning(store.db).revokeClient(id),
      (where) => new ProvisioningError('client_not_found', `no client with id ${id}: ${where}`),
    );
    outputFor(options.json).result({ client_id: clientId, revoked: true }, `client ${clientId} revoked`);
  });
}

function dealerScope(options: ClientAddOptions): number[] | 'all' {
  const listed = options.dealer ?? [];
  if (options.allDealers && listed.length > 0)
    throw new UsageError('use either --dealer or --all-dealers, not both');
  if (options.allDealers) return 'all';
  if (listed.length === 0)
    throw new UsageError('say which dealers the client may reach: --dealer <id>... or --all-dealers');
  return listed.map((text) => idArgument('--dealer', text));
}

/** "dealer 7", "dealers 7, 8". */
function dealerList(dealerIds: readonly number[]): string {
  const noun = dealerIds.length === 1 ? 'dealer' : 'dealers';
  return `${noun} ${dealerIds.join(', ')}`;
}
