/** Sites are spread over this many dealers; the bench client is a platform partner (all dealers). */
export const DEALERS = 100;

/** Where site `id` lives: seeding and the load generator share this rule. */
export function dealerOf(siteId) {
  return 1 + ((siteId - 1) % DEALERS);
}
