import type { Command } from 'commander';
import type { Environment } from '../../config.js';
import { Provisioning } from '../../provisioning/provisioning.js';
import { type CommonOptions, commonOptions } from '../common-options.js';
import { outputFor } from '../output.js';
import { databaseUrlArgument, idArgument, nonEmptyArgument } from '../usage.js';
import { withStore } from '../with-store.js';

export function registerDealerCommands(program: Command, env: Environment): void {
  const dealer = program.command('dealer').description('manage dealers');
  commonOptions(
    dealer
      .command('add')
      .description('add a dealer')
      .argument('<dealerId>', 'the dealer ID (an integer from 1 to 2147483647)')
      .requiredOption('--name <name>', 'the dealer name'),
  ).action(async (dealerIdText: string, options: CommonOptions & { name: string }) => {
    const dealerId = idArgument('dealerId', dealerIdText);
    const name = nonEmptyArgument('--name', options.name);
    const url = databaseUrlArgument(options.db, env);
    const dealerRow = await withStore(url, (store) => new Provisioning(store.db).addDealer(dealerId, name));
    outputFor(options.json).result(dealerRow, `dealer ${dealerRow.dealer_id} "${dealerRow.name}" added`);
  });
}
