// `policies[].promotion` at load (SPEC §1, §2): the errors `check` names, and the chains it accepts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { configFromText } from '../ship/config-from-text.js';

const config = (policies: string, automations: string) => `images:
  - { name: app, repository: ghcr.io/acme/app }
  - { name: other, repository: ghcr.io/acme/other }
policies:
${policies}
automations:
${automations}
`;
const automation = (name: string, policies: string[]) => `  - { name: ${name}, git: { url: https://git.example/fleet.git }, policies: [${policies.join(', ')}] }`;

describe('promotion config', () => {
  const cases: Array<[string, string, string, RegExp | null]> = [
    [
      'a chain dev -> staging -> prod loads, soak 0 included',
      `  - { name: dev, image: app, semver: '*' }
  - { name: staging, image: app, semver: '*', promotion: { from: fleet-dev, soak: 0 } }
  - { name: prod, image: app, semver: '*', promotion: { from: fleet-staging, soak: 24h } }`,
      [automation('fleet-dev', ['dev']), automation('fleet-staging', ['staging']), automation('fleet-prod', ['prod'])].join('\n'),
      null,
    ],
    [
      'a source that is not an automation is named, with the known ones',
      `  - { name: staging, image: app, semver: '*' }
  - { name: prod, image: app, semver: '*', promotion: { from: fleet-stagin, soak: 24h } }`,
      [automation('fleet-staging', ['staging']), automation('fleet-prod', ['prod'])].join('\n'),
      /tagpilot\.yaml:6:\d+: policy prod: promotion\.from names automation "fleet-stagin", which is not in automations \(known: fleet-staging, fleet-prod\)/s,
    ],
    [
      'a source that never writes the image is refused',
      `  - { name: staging, image: other, semver: '*' }
  - { name: prod, image: app, semver: '*', promotion: { from: fleet-staging, soak: 24h } }`,
      [automation('fleet-staging', ['staging']), automation('fleet-prod', ['prod'])].join('\n'),
      /automation fleet-staging does not write ghcr\.io\/acme\/app/,
    ],
    [
      'two automations promoting from each other are a cycle',
      `  - { name: a, image: app, semver: '*', promotion: { from: fleet-b, soak: 1h } }
  - { name: b, image: app, semver: '*', promotion: { from: fleet-a, soak: 1h } }`,
      [automation('fleet-a', ['a']), automation('fleet-b', ['b'])].join('\n'),
      /promotion is a cycle \(fleet-a takes from fleet-b takes from fleet-a\)/,
    ],
    [
      'an automation promoting from itself is a cycle',
      `  - { name: a, image: app, semver: '*', promotion: { from: fleet-a, soak: 1h } }`,
      automation('fleet-a', ['a']),
      /promotion is a cycle \(fleet-a takes from fleet-a\)/,
    ],
    [
      'a bad soak is a duration error',
      `  - { name: a, image: app, semver: '*' }
  - { name: b, image: app, semver: '*', promotion: { from: fleet-a, soak: a day } }`,
      [automation('fleet-a', ['a']), automation('fleet-b', ['b'])].join('\n'),
      /expected a duration like 30s, 5m or 1h30m \(or 0\), got "a day"/,
    ],
  ];
  for (const [label, policies, automations, error] of cases) {
    it(label, async () => {
      const text = config(policies, automations);
      if (error === null) {
        const { config: loaded } = await configFromText(text);
        assert.equal(loaded.policies.find((p) => p.name === 'prod')?.promotion?.soak, 24 * 3_600_000);
        assert.equal(loaded.policies.find((p) => p.name === 'staging')?.promotion?.soak, 0);
        return;
      }
      await assert.rejects(configFromText(text), (err) => err instanceof ConfigError && error.test(err.message));
    });
  }
});
