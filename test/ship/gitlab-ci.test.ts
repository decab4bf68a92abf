import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { compilePolicy } from '../../src/policy/policy.js';

const CI_FILE = 'deploy/gitlab-ci/.gitlab-ci.yml';

interface Job {
  stage: string;
  script: string[];
  rules?: Array<{ if: string; variables?: Record<string, string> }>;
  needs?: string[];
}
const ci = parse(readFileSync(CI_FILE, 'utf8')) as Record<string, unknown> & { stages: string[]; variables: Record<string, string> };
const jobs = Object.entries(ci).filter(([name, value]) => !name.startsWith('.') && typeof value === 'object' && value !== null && 'script' in value) as Array<[string, Job]>;
const { config } = await loadConfig('deploy/tagpilot.yaml', { GIT_TOKEN: 'x', REGISTRY_TOKEN: 'x', WEBHOOK_SECRET: 'x', TAGPILOT_API_TOKEN: 'x' });

/** GitLab's `$VAR` / `${VAR}` expansion, for the variables the example reads. */
function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => {
    const value = vars[name];
    assert.ok(value !== undefined, `${CI_FILE} uses $${name}, which this test does not know`);
    return expand(value, vars);
  });
}

/** The image tag each rule gives, as a function of the predefined CI variables. */
function tagFor(rule: number, vars: Record<string, string>): string {
  const job = jobs.find(([, j]) => j.script.some((line) => line.includes('docker push')))![1];
  return expand(job.rules![rule]!.variables!.IMAGE_TAG!, { ...ci.variables, ...vars });
}

describe('deploy/gitlab-ci/.gitlab-ci.yml', () => {
  it('builds and pushes to the project registry, then notifies a generic webhook of deploy/tagpilot.yaml', () => {
    const build = jobs.find(([, j]) => j.script.some((line) => /docker push "\$CI_REGISTRY_IMAGE:\$IMAGE_TAG"/.test(line)));
    assert.ok(build, 'a job pushes $CI_REGISTRY_IMAGE:$IMAGE_TAG');
    const notify = jobs.find(([, j]) => j.script.some((line) => line.includes('/hooks/')));
    assert.ok(notify, 'a job calls /hooks/<name>');
    assert.deepEqual(notify[1].needs, [build[0]], 'it runs after the push');
    assert.ok(ci.stages.indexOf(notify[1].stage) > ci.stages.indexOf(build[1].stage));
    const hook = /\/hooks\/([a-z0-9._-]+)/.exec(notify[1].script.join('\n'))![1];
    const webhook = config.webhooks.find((w) => w.name === hook);
    assert.ok(webhook, `deploy/tagpilot.yaml has a webhook named ${hook}`);
    assert.equal(webhook.type, 'generic');
  });

  it("tags images so that deploy/tagpilot.yaml's policies pick the newest build and release, and never each other's", () => {
    const builds = [9, 10, 100, 99].map((iid) => tagFor(1, { CI_PIPELINE_IID: String(iid), CI_COMMIT_SHORT_SHA: `a1b2c3${iid}` }));
    const releases = ['v1.2.0', 'v1.10.0', 'v1.9.3'].map((tag) => tagFor(0, { CI_COMMIT_TAG: tag }));
    const pick = (name: string) => compilePolicy(config.policies.find((p) => p.name === name)!).evaluate([...builds, ...releases]).pick?.tag;
    assert.equal(pick('app-main'), 'main-100-a1b2c3100');
    assert.equal(pick('app-stable'), 'v1.10.0');
  });

  it('signs its notification the way SPEC §6 says generic webhooks are verified', () => {
    assert.equal(spawnSync('openssl', ['version']).error, undefined, 'openssl must be installed (.ci/run installs it)');
    const notify = jobs.find(([, j]) => j.script.some((line) => line.includes('/hooks/')))![1];
    const signing = notify.script.filter((line) => /^(BODY|SIGNATURE)=/.test(line));
    assert.equal(signing.length, 2, 'BODY=... and SIGNATURE=... lines');
    const env = { PATH: process.env.PATH, CI_REGISTRY_IMAGE: 'registry.gitlab.example.com/acme/app', IMAGE_TAG: 'main-42-0abc123', TAGPILOT_WEBHOOK_SECRET: 'ci-s3cret' };
    const shell = spawnSync('sh', ['-c', `${signing.join('\n')}\nprintf '%s\\n%s' "$BODY" "$SIGNATURE"`], { env, encoding: 'utf8' });
    assert.equal(shell.status, 0, shell.stderr);
    const [body, signature] = shell.stdout.split('\n') as [string, string];
    assert.deepEqual(JSON.parse(body), { repository: env.CI_REGISTRY_IMAGE, tag: env.IMAGE_TAG });
    assert.equal(signature, createHmac('sha256', env.TAGPILOT_WEBHOOK_SECRET).update(body).digest('hex'));
    assert.ok(notify.script.some((line) => line.includes('-H "X-Signature: sha256=$SIGNATURE"')), 'sent as X-Signature: sha256=<hex>');
    assert.ok(config.images.some((i) => i.repository === env.CI_REGISTRY_IMAGE), 'the payload names a configured repository');
  });
});
