// `tagpilot check` prints every problem in one pass (SPEC §5): schema, names, unset ${VAR}s and the
// files the config names, sorted by line, each with the fix where one is known.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli.js';
import { closestName } from '../../src/config/closest-name.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

async function check(path: string, env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await runCli(['check', '--config', path], { out: (t) => (out += t), err: (t) => (err += t), env: { TAGPILOT_LOG_LEVEL: 'silent', ...env } });
  return { code, out, err };
}

describe('check: every problem in one pass', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('check');
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('schema, references, variables and files together, by line, each with its fix', async () => {
    const path = join(dir, 'messy.yaml');
    await writeFile(
      path,
      `images:
  - name: app
    repositry: ghcr.io/acme/app
  - name: api
    repository: ghcr.io/acme/api
    colour: blue
policies:
  - name: app-stable
    image: ap
    semver: 'not a range'
  - name: api
    image: nothere
    alphabetical: asc
automations:
  - name: fleet
    git:
      url: https://git.example.com/acme/fleet.git
      auth: { username: bot, passwordEnv: GIT_TOKEN }
      signingKeyFile: ${dir}/missing.asc
    policies: [app-stabel, zzz]
registries:
  - host: ghcr.io
    caFile: ${dir}
    auth: { username: bot, passwordFile: ${dir}/missing-password }
  - host: docker.io
    auth: { dockerConfig: ${dir}/missing.json }
server: { apiToken: "\${API_TOKEN}" }
`,
    );
    const run = await check(path);
    assert.equal(run.code, 1);
    assert.equal(run.out, '');
    assert.equal(
      run.err,
      [
        `${path}:3:5: unknown key "repositry" in images[0]: did you mean "repository"?`,
        `${path}:6:5: unknown key "colour" in images[1] (expected one of: exclude, interval, name, repository)`,
        `${path}:9:12: policy app-stable names image "ap", which is not in images; did you mean "api"?`,
        `${path}:10:13: policy app-stable: invalid semver range "not a range": Invalid comparator: not`,
        `${path}:12:12: policy api names image "nothere", which is not in images (known: api, app)`,
        `${path}:18:43: environment variable GIT_TOKEN is not set`,
        `${path}:19:23: cannot read ${dir}/missing.asc: no such file`,
        `${path}:20:16: automation fleet names policy "app-stabel", which is not in policies; did you mean "app-stable"?`,
        `${path}:20:28: automation fleet names policy "zzz", which is not in policies (known: api, app-stable)`,
        `${path}:23:13: cannot read ${dir}: it is a folder, not a file`,
        `${path}:24:42: cannot read ${dir}/missing-password: no such file`,
        `${path}:26:27: cannot read ${dir}/missing.json: no such file`,
        `${path}:27:21: environment variable API_TOKEN is not set`,
        '',
      ].join('\n'),
    );
  });

  it('an unquoted ${VAR} in a flow map gets one problem: quote it', async () => {
    const path = join(dir, 'flow.yaml');
    await writeFile(path, 'images:\n  - { name: app, repository: ${REPO} }\n  - { name: api, repository: "${REPO}/api" }\n');
    const run = await check(path, { REPO: 'ghcr.io/acme/app' });
    assert.equal(run.code, 1);
    assert.equal(run.err, `${path}:2:30: \${REPO} inside a flow collection ({ … } or [ … ]) is read as YAML, not as text: quote it, as "\${REPO}"\n`);
  });

  it('an unset variable is reported once, not again as the empty value it left', async () => {
    const path = join(dir, 'unset.yaml');
    await writeFile(path, "images:\n  - name: app\n    repository: '${REPO}'\n");
    const run = await check(path);
    assert.equal(run.err, `${path}:3:17: environment variable REPO is not set\n`);
  });

  const typos: Array<[string, string[], string | undefined]> = [
    ['repositry', ['name', 'repository', 'interval'], 'repository'],
    ['reposiotry', ['repository'], 'repository'],
    ['pathz', ['paths', 'policies'], 'paths'],
    ['colour', ['name', 'repository', 'interval', 'exclude'], undefined],
    ['ap', ['app', 'api'], 'api'],
    ['zzz', ['api', 'app-stable'], undefined],
  ];
  for (const [input, known, expected] of typos) {
    it(`did you mean: ${input} → ${expected ?? 'nothing close'}`, () => {
      assert.equal(closestName(input, known), expected);
    });
  }
});
