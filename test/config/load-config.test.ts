import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tagpilot-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function write(text: string, name = `c${counter++}.yaml`, folder = dir): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

async function problemsOf(path: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig(path, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message.split('\n');
  }
  assert.fail('expected the config to be rejected');
}

const VALID = `images:
  - name: app
    repository: ghcr.io/acme/app
policies:
  - name: app-stable
    image: app
    semver: '>=1.0.0 <2.0.0'
automations:
  - name: fleet
    git:
      url: https://git.example.com/acme/fleet.git
      auth: { username: oauth2, passwordEnv: GIT_TOKEN }
    paths: [clusters/prod]
`;

describe('loadConfig', () => {
  it('loads a valid file with defaults and resolves passwordEnv', async () => {
    const { config } = await loadConfig(write(VALID), { GIT_TOKEN: 's3cret' });
    assert.equal(config.images[0]!.interval, 300_000);
    assert.deepEqual(config.images[0]!.exclude, ['\\.sig$', '\\.att$', '\\.sbom$']);
    assert.equal(config.automations[0]!.git.branch, 'main');
    assert.equal((config.automations[0]!.git.auth as { password?: string }).password, 's3cret');
    assert.equal(config.automations[0]!.update, 'markers');
    assert.equal(config.server.port, 8080);
    assert.equal(config.stateDir, '.tagpilot');
  });

  const cases: Array<{ label: string; text: string; env?: NodeJS.ProcessEnv; expect: RegExp[] }> = [
    {
      label: 'unknown key and bad range are both reported with their lines',
      text: VALID.replace("semver: '>=1.0.0 <2.0.0'", "semver: 'not a range'").replace('    paths:', '    pathz: [x]\n    paths:'),
      env: { GIT_TOKEN: 'x' },
      expect: [/:7:13: .*semver/, /:13:5: unknown key "pathz"/],
    },
    {
      label: 'unset ${VAR} names the variable and its place',
      text: 'images:\n  - name: app\n    repository: ${REPO_HOST}/app\n',
      expect: [/:3:17: environment variable REPO_HOST is not set/],
    },
    {
      label: 'unset passwordEnv is an error at its key',
      text: VALID,
      expect: [/:12:46: .*GIT_TOKEN is not set/],
    },
    {
      label: 'a policy naming a missing image',
      text: 'policies:\n  - name: p\n    image: nope\n    alphabetical: asc\n',
      expect: [/:3:12: .*"nope", which is not in images/],
    },
    {
      label: 'two strategies in one policy',
      text: 'images: [{name: a, repository: x/a}]\npolicies:\n  - name: p\n    image: a\n    alphabetical: asc\n    numerical: asc\n',
      expect: [/:3:5: .*exactly one of semver, alphabetical or numerical/],
    },
    {
      label: 'a bad regex in exclude',
      text: "images:\n  - name: a\n    repository: x/a\n    exclude: ['(']\n",
      expect: [/:4:15: .*invalid regular expression/],
    },
    {
      label: 'a bad duration',
      text: 'images:\n  - name: a\n    repository: x/a\n    interval: soon\n',
      expect: [/:4:15: .*expected a duration/],
    },
    {
      label: 'duplicate names',
      text: 'images:\n  - name: a\n    repository: x/a\n  - name: a\n    repository: x/b\n',
      expect: [/:4:11: images: name "a" is used twice/],
    },
    {
      label: 'a repository with a tag',
      text: 'images:\n  - name: a\n    repository: nginx:1.25\n',
      expect: [/:3:17: .*without a tag/],
    },
    {
      label: 'a path that leaves the repository',
      text: VALID.replace('paths: [clusters/prod]', 'paths: [../elsewhere]'),
      env: { GIT_TOKEN: 'x' },
      expect: [/:13:13: .*inside the repository/],
    },
    {
      label: 'update: auto with two policies on one repository',
      text: `images:
  - { name: a, repository: nginx }
  - { name: b, repository: docker.io/library/nginx }
policies:
  - { name: p1, image: a, semver: '>=1' }
  - { name: p2, image: b, alphabetical: asc }
automations:
  - name: fleet
    git: { url: 'https://git.example.com/x.git' }
    update: auto
`,
      expect: [/:10:13: .*policies p1 and p2 apart \(both watch docker\.io\/library\/nginx\)/],
    },
    {
      label: 'an author git cannot record in a commit',
      text: "automations:\n  - name: a\n    git:\n      url: 'https://g.example.com/x.git'\n      author: { name: 'Bot <ci>', email: \"a@b\\nc\" }\n",
      expect: [/:5:23: automations\[0\]\.git\.author\.name: must not contain <, > or a line break/, /:5:42: automations\[0\]\.git\.author\.email: must not contain/],
    },
    {
      label: 'a commitMessage template that does not compile',
      text: "automations:\n  - name: a\n    git: { url: 'https://g.example.com/x.git' }\n    commitMessage: '{{#each changes}}{{file}}'\n",
      expect: [/:4:20: automation a: commitMessage: /],
    },
    {
      label: 'YAML syntax errors carry their position',
      text: 'images:\n  - name: a\n    repository: "unterminated\n',
      expect: [/:4:1: Missing closing "quote/],
    },
    {
      label: 'a missing required key is reported on its parent',
      text: 'images:\n  - name: a\n',
      expect: [/:2:5: images\[0\]\.repository: is required/],
    },
  ];
  for (const c of cases) {
    it(c.label, async () => {
      const problems = await problemsOf(write(c.text), c.env);
      for (const re of c.expect) assert.ok(problems.some((p) => re.test(p)), `no problem matches ${re}:\n${problems.join('\n')}`);
      assert.equal(problems.length, c.expect.length, problems.join('\n'));
    });
  }

  it('leaves ${name} in filter.extract alone and honours $${ escapes', async () => {
    const text = `images: [{name: a, repository: x/a}]
policies:
  - name: p
    image: a
    numerical: asc
    filter: { pattern: '^main-(?<build>\\d+)$', extract: '\${build}' }
server: { apiToken: 'literal-$\${NOT_A_VAR}' }
`;
    const { config } = await loadConfig(write(text), {});
    assert.equal(config.policies[0]!.filter!.extract, '${build}');
    assert.equal(config.server.apiToken, 'literal-${NOT_A_VAR}');
  });

  it('merges a folder: lists concatenate, errors point into the right file', async () => {
    const folder = mkdtempSync(join(dir, 'folder-'));
    write('images: [{name: a, repository: x/a}]\n', 'a.yaml', folder);
    write('images: [{name: b, repository: x/b}]\nstateDir: /tmp/s\n', 'b.yaml', folder);
    write('ignored: not yaml ext', 'c.txt', folder);
    const { config, files } = await loadConfig(folder, {});
    assert.deepEqual(config.images.map((i) => i.name), ['a', 'b']);
    assert.equal(files.length, 2);

    write('images:\n  - name: a\n    repository: x/c\n', 'c.yaml', folder);
    const problems = await problemsOf(folder);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /c\.yaml:2:11: images: name "a" is used twice/);
  });
});
