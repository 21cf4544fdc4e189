import { idArgument, positionals, securityTypeArgument } from '../arguments.js';
import { describeSecurityType, describeSite } from '../arming-output.js';
import type { Command } from '../command.js';
import { clientFrom, traceIdFrom } from '../shared-options.js';

/** chekt arming set <dealerId> <siteId> <type> */
export const armingSet: Command = {
  words: ['arming', 'set'],
  async run({ args, options, env }) {
    const [dealerText, siteText, typeText] = positionals(args, ['dealerId', 'siteId', 'type']) as [
      string,
      string,
      string,
    ];
    // Every argument is checked before anything is sent: a usage error never half-happens.
    const dealerId = idArgument('dealerId', dealerText);
    const siteId = idArgument('siteId', siteText);
    const securityType = securityTypeArgument(typeText);
    const traceId = traceIdFrom(options);
    const client = clientFrom(options, env);
    const settings = await client.armingSettings.update(
      dealerId,
      siteId,
      { security_type: securityType },
      traceId ? { traceId } : {},
    );
    return {
      json: settings,
      human: `${describeSite(settings)}\nSecurity type set to ${describeSecurityType(settings.security_type)}`,
    };
  },
};
