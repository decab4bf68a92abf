// What Flux and Argo CD Image Updater users paste is accepted (or refused clearly) when the config
// loads: Go regex spellings, Masterminds ranges, and policies that share a name across namespaces.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { compilePolicy } from '../../src/policy/policy.js';

const dir = mkdtempSync(join(tmpdir(), 'tagpilot-drop-in-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

function load(text: string): ReturnType<typeof loadConfig> {
  const path = join(dir, `c${counter++}.yaml`);
  writeFileSync(path, text);
  return loadConfig(path, {});
}

async function problemsOf(text: string): Promise<string> {
  try {
    await load(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  return assert.fail('expected the config to be rejected');
}

const IMAGES = 'images:\n  - { name: app, repository: ghcr.io/acme/app }\n  - { name: web, repository: ghcr.io/acme/web }\n';
const AUTOMATION = (policies: string) =>
  `automations:\n  - name: fleet\n    git: { url: https://git.example.com/fleet.git }\n${policies ? `    policies: ${policies}\n` : ''}`;

describe('config: Go regex spellings', () => {
  it("accepts Flux's (?P<ts>…) filter and ranks by its group", async () => {
    const { config } = await load(`${IMAGES}policies:\n  - name: p\n    image: app\n    numerical: asc\n    filter: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', extract: '$ts' }\n`);
    const pick = compilePolicy(config.policies[0]!).evaluate(['main-abc-9', 'main-def-10', 'dev-x-99']).pick;
    assert.equal(pick?.tag, 'main-def-10');
  });
  it('accepts a leading (?i) and matches case-insensitively', async () => {
    const { config } = await load(`${IMAGES}policies:\n  - name: p\n    image: app\n    alphabetical: asc\n    filter: { pattern: '(?i)^rc-' }\n`);
    assert.equal(compilePolicy(config.policies[0]!).evaluate(['RC-2', 'rc-1', 'x']).pick?.tag, 'rc-1');
  });
  it('refuses RE2 syntax JavaScript would read differently, naming file, line and the fix', async () => {
    const message = await problemsOf(`${IMAGES}policies:\n  - name: p\n    image: app\n    alphabetical: asc\n    filter: { pattern: '^main-(?i)rc' }\n`);
    assert.match(message, /:8:\d+: .*"\^main-\(\?i\)rc".*only at the very start/);
  });
  it('refuses an untranslatable exclude pattern', async () => {
    assert.match(await problemsOf(`images:\n  - { name: app, repository: ghcr.io/acme/app, exclude: ['\\p{L}'] }\n`), /Unicode classes/);
  });
});

describe('config: Masterminds ranges', () => {
  for (const [range, tags, pick] of [
    ['>=1.0.0, <2.0.0', ['0.9.0', '1.4.0', '2.0.0'], '1.4.0'],
    ['>0,<2.0', ['0.9.0', '1.9.9', '2.0.0'], '1.9.9'],
    ['1.2.x', ['1.2.9', '1.3.0'], '1.2.9'],
    ['~1.2', ['1.2.3', '1.3.0'], '1.2.3'],
    ['^1.2', ['1.2.0', '1.9.0', '2.0.0'], '1.9.0'],
    ['>=1.0.0, <2.0.0, !=1.9.0', ['1.8.0', '1.9.0'], '1.8.0'],
    ['1.2 - 1.4, !=1.4.2', ['1.4.1', '1.4.2', '1.5.0'], '1.4.1'],
    ['<1.0.0 || >=3.0.0, <4', ['0.5.0', '2.0.0', '3.9.0', '4.0.0'], '3.9.0'],
  ] as const) {
    it(`semver: '${range}' picks ${pick}`, async () => {
      const { config } = await load(`${IMAGES}policies:\n  - name: p\n    image: app\n    semver: '${range}'\n`);
      assert.equal(compilePolicy(config.policies[0]!).evaluate([...tags]).pick?.tag, pick);
    });
  }
  it('refuses a range neither dialect reads, at load', async () => {
    assert.match(await problemsOf(`${IMAGES}policies:\n  - name: p\n    image: app\n    semver: '>=1.0.0, nope'\n`), /:7:\d+: .*invalid semver range/);
  });
});

describe('config: policies in namespaces', () => {
  const TWO = `${IMAGES}policies:\n  - { name: app, namespace: team-a, image: app, semver: '*' }\n  - { name: app, namespace: team-b, image: web, semver: '*' }\n`;
  it('two namespaces may each have a policy "app"', async () => {
    const { config } = await load(TWO + AUTOMATION('[team-a:app]'));
    assert.deepEqual(config.policies.map((p) => [p.namespace, p.name]), [['team-a', 'app'], ['team-b', 'app']]);
  });
  it('a name twice in one namespace is an error', async () => {
    const text = `${IMAGES}policies:\n  - { name: app, namespace: team-a, image: app, semver: '*' }\n  - { name: app, namespace: team-a, image: web, semver: '*' }\n`;
    assert.match(await problemsOf(text), /name "team-a:app" is used twice/);
  });
  it('automations[].policies must say which namespace when the name is shared', async () => {
    assert.match(await problemsOf(TWO + AUTOMATION('[app]')), /names policy "app", which team-a:app and team-b:app share; write NS:app/);
  });
  it('automations[].policies naming a namespace nobody has is an error', async () => {
    assert.match(await problemsOf(TWO + AUTOMATION('[team-c:app]')), /names policy "team-c:app", which is not in policies/);
  });
  it('update: auto tells the two apart by repository', async () => {
    await assert.doesNotReject(load(TWO + AUTOMATION('[team-a:app, team-b:app]').replace('policies:', 'update: auto\n    policies:')));
  });
});
