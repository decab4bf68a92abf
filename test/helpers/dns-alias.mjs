// Preloaded (`node --import`) into a replica under test: the host name `registry.test` resolves to
// the address written in the file named by TAGPILOT_TEST_DNS_ALIAS, read on every lookup, so a test
// can send one replica elsewhere (a relay on another loopback address) while others reach the registry.
import dns from 'node:dns';
import { readFileSync } from 'node:fs';

const file = process.env.TAGPILOT_TEST_DNS_ALIAS;
const lookup = dns.lookup;
dns.lookup = function aliasedLookup(host, options, callback) {
  if (host === 'registry.test' && file) host = readFileSync(file, 'utf8').trim();
  return lookup.call(dns, host, options, callback);
};
