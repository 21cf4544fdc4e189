/** A mistake in how `chekt` was called: the message on stderr, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage:
  chekt arming get <dealerId> <siteId> [options]
  chekt arming set <dealerId> <siteId> <type> [options]

<type> is 1-4 or its name:
  1 primary-bridge     Alarm Panel - Primary Bridge
  2 individual-bridge  Alarm Panel - Individual Bridge
  3 video              CHeKT Video Security System
  4 alarm-com          Alarm.com Security System

Options:
  --client-id <id>         default: CHEKT_CLIENT_ID
  --client-secret <secret> default: CHEKT_CLIENT_SECRET (prefer the variable: flags show in ps)
  --base-url <url>         default: CHEKT_BASE_URL, e.g. https://api.chekt.com
  --token-url <url>        default: CHEKT_TOKEN_URL, else <base-url>/oauth/token
  --trace-id <id>          sent as x-partner-trace-id (default: a fresh UUID)
  --json                   print exactly one JSON document on stdout
  -h, --help               show this help

Exit codes: 0 done, 1 the API refused or could not be reached, 2 wrong usage.
`;
