import { idArgument, positionals } from '../arguments.js';
import { describeSecurityType, describeSite } from '../arming-output.js';
import type { Command } from '../command.js';
import { clientFrom, traceIdFrom } from '../shared-options.js';

/** chekt arming get <dealerId> <siteId> */
export const armingGet: Command = {
  words: ['arming', 'get'],
  async run({ args, options, env }) {
    const [dealerText, siteText] = positionals(args, ['dealerId', 'siteId']) as [string, string];
    const dealerId = idArgument('dealerId', dealerText);
    const siteId = idArgument('siteId', siteText);
    const traceId = traceIdFrom(options);
    const client = clientFrom(options, env);
    const settings = await client.armingSettings.get(dealerId, siteId, traceId ? { traceId } : {});
    return {
      json: settings,
      human: `${describeSite(settings)}\nSecurity type: ${describeSecurityType(settings.security_type)}`,
    };
  },
};
