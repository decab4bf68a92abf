import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configJsonSchema, configJsonSchemaText, configKeyPaths, describedKeyPaths } from '../../src/config/json-schema.js';
import { parseDuration } from '../../src/config/duration.js';
import { Config } from '../../src/config/schema.js';
import { validateJsonSchema } from './json-schema-validator.js';

const COMMITTED = 'docs/tagpilot.schema.json';
const schema = configJsonSchema();

/** A config zod accepts, to vary one field at a time. */
const BASE = {
  images: [{ name: 'app', repository: 'ghcr.io/acme/app' }],
  policies: [{ name: 'app', image: 'app', semver: '>=1.0.0' }],
  automations: [{ name: 'fleet', git: { url: 'https://git.example.com/fleet.git', auth: { username: 'u', passwordEnv: 'T' } } }],
  registries: [{ host: 'ghcr.io', auth: { username: 'u', passwordEnv: 'T' } }],
  webhooks: [{ name: 'ghcr', type: 'github', secretEnv: 'S' }],
};

function variant(edit: (config: typeof BASE) => void): unknown {
  const copy = structuredClone(BASE);
  edit(copy);
  return copy;
}

describe('tagpilot schema (configJsonSchema)', () => {
  it('is what docs/tagpilot.schema.json holds', () => {
    assert.equal(
      readFileSync(COMMITTED, 'utf8'),
      configJsonSchemaText(),
      `${COMMITTED} is stale: regenerate it with \`tagpilot schema > ${COMMITTED}\``,
    );
  });

  it('is a titled draft-07 schema of a strict object', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.title, 'tagpilot config');
    assert.equal(schema.additionalProperties, false);
  });

  it('has a description for every key and no description for a key that does not exist', () => {
    assert.deepEqual(describedKeyPaths(), configKeyPaths(schema));
  });

  it('describes the input side: durations are written as strings or 0, with their defaults', () => {
    const images = (schema.properties as Record<string, Record<string, unknown>>).images!;
    const interval = ((images.items as Record<string, unknown>).properties as Record<string, Record<string, unknown>>).interval!;
    assert.equal(interval.default, '5m');
    assert.deepEqual(interval.anyOf, [
      { type: 'number', const: 0 },
      { type: 'string', pattern: '^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$' },
    ]);
    // zod drops defaults around transforms; this one is valid input, so it is put back.
    assert.deepEqual(images.default, []);
  });

  // What the editor flags must be what `tagpilot check` (zod) rejects, and the other way round,
  // for everything the JSON Schema can express; the refines restated as oneOf are covered here.
  const cases: Array<{ label: string; config: unknown; valid: boolean }> = [
    { label: 'the base config', config: BASE, valid: true },
    { label: 'durations as people write them', config: variant((c) => Object.assign(c.images[0]!, { interval: '1h30m' })), valid: true },
    { label: 'interval 0 (webhooks only)', config: variant((c) => Object.assign(c.images[0]!, { interval: 0 })), valid: true },
    { label: 'a duration in words', config: variant((c) => Object.assign(c.images[0]!, { interval: '5 minutes' })), valid: false },
    { label: 'a duration as a bare number', config: variant((c) => Object.assign(c.images[0]!, { interval: 300 })), valid: false },
    { label: 'an unknown key', config: variant((c) => Object.assign(c.images[0]!, { tag: 'latest' })), valid: false },
    { label: 'two strategies in one policy', config: variant((c) => Object.assign(c.policies[0]!, { alphabetical: 'asc' })), valid: false },
    { label: 'no strategy in a policy', config: variant((c) => delete (c.policies[0] as { semver?: string }).semver), valid: false },
    { label: 'password and passwordEnv together', config: variant((c) => Object.assign(c.automations[0]!.git.auth, { password: 'x' })), valid: false },
    { label: 'auth without any password', config: variant((c) => delete (c.automations[0]!.git.auth as { passwordEnv?: string }).passwordEnv), valid: false },
    { label: 'registry auth by dockerConfig', config: variant((c) => (c.registries[0]!.auth = { dockerConfig: '/d.json' } as never)), valid: true },
    { label: 'registry basic auth with two passwords', config: variant((c) => Object.assign(c.registries[0]!.auth, { passwordFile: '/p' })), valid: false },
    { label: 'a webhook with two secrets', config: variant((c) => Object.assign(c.webhooks[0]!, { secret: 'x' })), valid: false },
    { label: 'a webhook without a secret', config: variant((c) => delete (c.webhooks[0] as { secretEnv?: string }).secretEnv), valid: false },
    { label: 'an unknown webhook type', config: variant((c) => (c.webhooks[0]!.type = 'gitea')), valid: false },
    { label: 'a port out of range', config: { server: { port: 70000 } }, valid: false },
    { label: 'a name with capitals', config: variant((c) => (c.images[0]!.name = 'App')), valid: false },
  ];
  for (const { label, config, valid } of cases) {
    it(`${valid ? 'accepts' : 'rejects'} ${label}, as the loader's schema does`, () => {
      const problems = validateJsonSchema(schema, config);
      assert.equal(problems.length === 0, valid, `JSON Schema: ${problems.join('; ') || 'valid'}`);
      assert.equal(Config.safeParse(config).success, valid, 'zod');
    });
  }

  it('its duration pattern accepts exactly what parseDuration does', () => {
    const images = (schema.properties as Record<string, Record<string, unknown>>).images!;
    const interval = ((images.items as Record<string, unknown>).properties as Record<string, Record<string, unknown>>).interval!;
    const pattern = new RegExp(((interval.anyOf as Array<Record<string, unknown>>)[1]!.pattern as string));
    for (const text of ['0', '500ms', '30s', '5m', '1h30m', '1.5h', '2h0m0s', '', '5', 'm', '5 m', '-5m', '5d', '1h-30m']) {
      assert.equal(pattern.test(text), parseDuration(text) !== null, JSON.stringify(text));
    }
  });
});
