import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { validateJsonSchema } from './json-schema-validator.js';

const EXAMPLE = 'config/tagpilot.example.yaml';
const text = readFileSync(EXAMPLE, 'utf8');

/** The variables the file's header says the loader reads (others are read later, at run time). */
function declaredVariables(): string[] {
  const header = /Environment variables this file needs:([^]*?)\(read when the config loads\)/.exec(text);
  assert.ok(header, `${EXAMPLE} should list the environment variables it needs`);
  return header[1]!.replace(/#/g, ' ').split(/[\s,.]+/).filter((v) => /^[A-Z][A-Z0-9_]*$/.test(v));
}

// A *_URL variable must hold a URL to pass the loader's check.
const env = Object.fromEntries(declaredVariables().map((name) => [name, name.endsWith('_URL') ? `https://example.com/value-of-${name}` : `value-of-${name}`]));

describe('config/tagpilot.example.yaml', () => {
  it('passes tagpilot check with the variables it lists', async () => {
    const { config } = await loadConfig(EXAMPLE, env);
    assert.equal(config.server.apiToken, 'value-of-TAGPILOT_API_TOKEN');
    assert.equal(config.automations.length, 2);
    assert.equal(config.stateDir, '/state');
  });

  for (const name of declaredVariables()) {
    it(`needs ${name}, as its header says`, async () => {
      const { [name]: _left, ...rest } = env;
      await assert.rejects(loadConfig(EXAMPLE, rest), (err) => err instanceof ConfigError && err.message.includes(name));
    });
  }

  it('points editors at the committed JSON Schema, and that schema accepts it', () => {
    const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
    assert.ok(modeline, 'first line: # yaml-language-server: $schema=...');
    const schemaPath = resolve(dirname(EXAMPLE), modeline[1]!);
    assert.ok(existsSync(schemaPath), `${schemaPath} does not exist`);
    assert.deepEqual(JSON.parse(readFileSync(schemaPath, 'utf8')), configJsonSchema());
    assert.deepEqual(validateJsonSchema(configJsonSchema(), parse(text)), []);
  });
});
