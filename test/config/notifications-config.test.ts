// notifications[] and verify.cosign in the config: defaults, secrets resolved at load, and every
// mistake reported in one pass with where it is (and never with the secret URL in the message).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

describe('notifications and verify.cosign config', () => {
  let dir: string;
  let publicKey: string;
  let privateKey: string;
  before(async () => {
    dir = await makeTempDir('notify-config');
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    publicKey = join(dir, 'cosign.pub');
    privateKey = join(dir, 'cosign.key');
    writeFileSync(publicKey, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(privateKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const head = `images: [{ name: app, repository: ghcr.io/acme/app }]
automations: [{ name: fleet, git: { url: "https://git.example.com/fleet.git" } }]
`;

  it('reads the URL and secret from the environment, defaults events to all, and loads the key', async () => {
    const path = write(
      'ok.yaml',
      `${head}policies: [{ name: app, image: app, semver: ">=1.0.0", verify: { cosign: { publicKeyFile: "${publicKey}" } } }]
notifications:
  - { name: chat, type: slack, urlEnv: SLACK_URL }
  - { name: hook, type: webhook, url: "https://hooks.example.com/x", secretEnv: HOOK_KEY, events: [commit], automations: [fleet] }
`,
    );
    const { config } = await loadConfig(path, { SLACK_URL: 'https://hooks.slack.com/services/T/B/X', HOOK_KEY: 'k' });
    assert.equal(config.notifications[0]!.url, 'https://hooks.slack.com/services/T/B/X');
    assert.deepEqual(config.notifications[0]!.events, ['commit', 'failure', 'recovered', 'held', 'promotion-waiting']);
    assert.equal(config.notifications[1]!.secret, 'k');
    assert.equal(config.policies[0]!.verify?.cosign.publicKeyFile, publicKey);
  });

  it('reports every mistake at once, with line and column, without echoing a URL', async () => {
    const path = write(
      'bad.yaml',
      `${head}policies:
  - { name: app, image: app, semver: ">=1.0.0", verify: { cosign: { publicKeyFile: "${privateKey}" } } }
  - { name: other, image: app, semver: ">=1.0.0", verify: { cosign: { publicKeyFile: "${join(dir, 'absent.pub')}" } } }
notifications:
  - { name: a, type: slack, urlEnv: UNSET_URL }
  - { name: b, type: discord, urlEnv: NOT_A_URL }
  - { name: c, type: webhook, url: "https://x.example.com", automations: [fleat] }
`,
    );
    let error: ConfigError | undefined;
    try {
      await loadConfig(path, { NOT_A_URL: 'hooks.example.com/SECRETPART' });
    } catch (err) {
      error = err as ConfigError;
    }
    assert.ok(error instanceof ConfigError);
    const text = error.message;
    assert.match(text, /bad\.yaml:4:\d+: policy app: verify\.cosign\.publicKeyFile .*cosign\.key: this is a private key/);
    assert.match(text, /bad\.yaml:5:\d+: policy other: .*absent\.pub: cannot read it \(ENOENT\)/);
    assert.match(text, /bad\.yaml:7:\d+: .*environment variable UNSET_URL is not set/);
    assert.match(text, /bad\.yaml:8:\d+: notification b: expected an http\(s\):\/\/ URL/);
    assert.match(text, /bad\.yaml:9:\d+: notification c names automation "fleat", which is not in automations/);
    assert.doesNotMatch(text, /SECRETPART/);
  });

  it('refuses a missing URL, two URL sources, and a secret on a chat type', async () => {
    const path = write(
      'shape.yaml',
      `${head}notifications:
  - { name: a, type: slack }
  - { name: b, type: webhook, url: "https://a.example.com", urlEnv: B }
  - { name: c, type: msteams, url: "https://a.example.com", secret: s }
`,
    );
    await assert.rejects(
      loadConfig(path, {}),
      (err: Error) =>
        /shape\.yaml:4:\d+: .*expected exactly one of url, urlEnv or urlFile/.test(err.message) &&
        /shape\.yaml:5:\d+: .*expected exactly one of url, urlEnv or urlFile/.test(err.message) &&
        /shape\.yaml:6:\d+: .*sign webhook notifications only/.test(err.message),
    );
  });
});
