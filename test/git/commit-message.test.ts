// Commit messages: the default format (SPEC §4), templates, and reading our own commits back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { defaultCommitMessage, readTagpilotCommit, withTrailers, type CommitChange } from '../../src/git/commit-message.js';
import { commitTemplateProblem, compileCommitTemplate } from '../../src/git/commit-template.js';

const change = (file: string, policy: string, repository: string, from: string, to: string): CommitChange => ({ file, policy, repository, from, to });
const ONE = [change('apps/a.yaml', 'app', 'ghcr.io/acme/app', '1.0.0', '1.1.0'), change('apps/b.yaml', 'app', 'ghcr.io/acme/app', '1.0.0', '1.1.0')];
const TWO = [...ONE, change('apps/b.yaml', 'web', 'ghcr.io/acme/web', '2.0.0', '2.1.0@sha256:abc')];

describe('default commit message', () => {
  it('names the one image, lists each change and file once, and ends with the trailer', () => {
    assert.equal(
      defaultCommitMessage('fleet', ONE),
      'Update ghcr.io/acme/app to 1.1.0\n\n- app: ghcr.io/acme/app 1.0.0 -> 1.1.0\n\nFiles:\n- apps/a.yaml\n- apps/b.yaml\n\nTagpilot-Automation: fleet\n',
    );
    assert.match(defaultCommitMessage('fleet', TWO), /^Update 2 images\n/);
  });

  it('reads back the automation and changes; other commits are not ours', () => {
    assert.deepEqual(readTagpilotCommit(defaultCommitMessage('fleet', TWO)), {
      automation: 'fleet',
      changes: [
        { policy: 'app', repository: 'ghcr.io/acme/app', from: '1.0.0', to: '1.1.0' },
        { policy: 'web', repository: 'ghcr.io/acme/web', from: '2.0.0', to: '2.1.0@sha256:abc' },
      ],
    });
    assert.equal(readTagpilotCommit('Fix typo\n\n- app: x 1 -> 2\n'), null);
  });

  it('reads back a change of a namespaced policy (its id NS:NAME holds a colon)', () => {
    const namespaced = [change('apps/a.yaml', 'team-a:app', 'ghcr.io/acme/app', '1.0.0', '1.1.0')];
    assert.deepEqual(readTagpilotCommit(defaultCommitMessage('fleet', namespaced))?.changes, [
      { policy: 'team-a:app', repository: 'ghcr.io/acme/app', from: '1.0.0', to: '1.1.0' },
    ]);
  });
});

describe('commit message templates', () => {
  it('renders automation, changes and images without HTML escaping', () => {
    const template = compileCommitTemplate('{{automation}}: {{#each images}}{{repository}}:{{tag}}{{#unless @last}}, {{/unless}}{{/each}}\n\n{{#each changes}}{{file}} {{from}}=>{{to}}\n{{/each}}');
    const text = template.render({ automation: 'a&b', changes: TWO, images: [{ repository: 'ghcr.io/acme/app', tag: '1.1.0' }, { repository: 'ghcr.io/acme/web', tag: '2.1.0@sha256:abc' }] });
    assert.equal(text.split('\n')[0], 'a&b: ghcr.io/acme/app:1.1.0, ghcr.io/acme/web:2.1.0@sha256:abc');
    assert.match(text, /apps\/b\.yaml 2\.0\.0=>2\.1\.0@sha256:abc/);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['syntax error', '{{#each changes}}{{file}}', /invalid template: Parse error on line 1/],
    ['unknown field', '{{automaton}}', /invalid template: "automaton" not defined/],
    ['unknown helper', '{{shout automation}}', /invalid template: You specified knownHelpersOnly, but used the unknown helper shout/],
    ['empty result', '{{#if false}}x{{/if}}', /rendered an empty message/],
  ];
  for (const [label, source, expected] of bad) {
    it(`a template with a ${label} is an input error at compile time`, () => {
      assert.throws(() => compileCommitTemplate(source), (err: Error) => err instanceof InputError && expected.test(err.message));
      assert.match(commitTemplateProblem(source) ?? '', expected);
    });
  }
  it('a good template has no problem', () => {
    assert.equal(commitTemplateProblem('Bump {{#each changes}}{{policy}} {{/each}}'), null);
  });

  it('appends the trailers a templated message lacks, joining an existing trailer block', () => {
    assert.equal(
      withTrailers('chore: bump\n', 'fleet', ONE),
      'chore: bump\n\nTagpilot-Automation: fleet\nTagpilot-Change: app ghcr.io/acme/app 1.0.0 -> 1.1.0\n',
    );
    assert.equal(
      withTrailers('chore: bump\n\nSigned-off-by: Bot <bot@example.test>', 'fleet', ONE),
      'chore: bump\n\nSigned-off-by: Bot <bot@example.test>\nTagpilot-Automation: fleet\nTagpilot-Change: app ghcr.io/acme/app 1.0.0 -> 1.1.0\n',
    );
    const complete = defaultCommitMessage('fleet', ONE);
    assert.equal(withTrailers(complete, 'fleet', ONE), complete, 'nothing to add');
    assert.deepEqual(readTagpilotCommit(withTrailers('x', 'fleet', ONE))?.changes, [{ policy: 'app', repository: 'ghcr.io/acme/app', from: '1.0.0', to: '1.1.0' }]);
  });
});
