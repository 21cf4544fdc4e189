import { SECURITY_TYPES, type SecurityType } from '@chekt-partner/contract/security-types';
import type { Command } from 'commander';
import { toArmingSettings } from '../../arming/service.js';
import type { Environment } from '../../config.js';
import { Provisioning, ProvisioningError } from '../../provisioning/provisioning.js';
import { oneInstanceAtATime } from '../../store/one-instance-at-a-time.js';
import { type CommonOptions, commonOptions } from '../common-options.js';
import { outputFor } from '../output.js';
import {
  databaseUrlArgument,
  externalIdArgument,
  idArgument,
  nonEmptyArgument,
  securityTypeArgument,
} from '../usage.js';
import { withStore } from '../with-store.js';

interface SiteAddOptions extends CommonOptions {
  dealer: string;
  externalId: string;
  name: string;
  siteId?: string;
  securityType?: string;
}

export function registerSiteCommands(program: Command, env: Environment): void {
  const site = program.command('site').description('manage sites');
  commonOptions(
    site
      .command('add')
      .description('add a site under a dealer')
      .requiredOption('--dealer <dealerId>', 'the dealer the site belongs to')
      .requiredOption(
        '--external-id <id>',
        "the partner's own site identifier (unique per dealer, at most 255 characters)",
      )
      .requiredOption('--name <name>', 'the site name')
      .option('--site-id <n>', 'the CHeKT site ID (default: largest so far + 1)')
      .option(
        '--security-type <type>',
        '1-4 or primary-bridge|individual-bridge|video|alarm-com (default 1)',
      ),
  ).action(async (options: SiteAddOptions) => {
    const request = {
      dealerId: idArgument('--dealer', options.dealer),
      externalSiteId: externalIdArgument(options.externalId),
      name: nonEmptyArgument('--name', options.name),
      ...(options.siteId === undefined ? {} : { siteId: idArgument('--site-id', options.siteId) }),
      ...(options.securityType === undefined
        ? {}
        : { securityType: securityTypeArgument(options.securityType) }),
    };
    const url = databaseUrlArgument(options.db, env);
    const row = await withStore(
      url,
      // Taking turns: two commands adding sites at once would otherwise pick the same next id.
      (store) => oneInstanceAtATime(store, 'site add', (db) => new Provisioning(db).addSite(request)),
      (where) => new ProvisioningError('dealer_not_found', `no dealer with id ${request.dealerId}: ${where}`),
    );
    const settings = toArmingSettings(row);
    outputFor(options.json).result(
      { dealer_id: row.dealer_id, ...settings },
      `site ${settings.site_id} "${settings.name}" added to dealer ${row.dealer_id} ` +
        `(security type ${settings.security_type}: ${SECURITY_TYPES[settings.security_type as SecurityType].name})`,
    );
  });
}
