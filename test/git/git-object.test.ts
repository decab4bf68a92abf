// Object encodings against the git CLI: the same tree and commit must get the same id.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitPayload, encodeCommit, encodeTree, objectId } from '../../src/git/git-object.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

describe('git objects', () => {
  it('hashes trees and commits exactly as git does, folders sorted as if they ended in "/"', async () => {
    const dir = await makeTempDir('git-object');
    try {
      await runCommand('git', ['init', '--quiet', '--bare', dir], { env });
      const hash = async (type: string, content: Buffer) =>
        (await runCommand('git', ['--git-dir', dir, 'hash-object', '-t', type, '-w', '--stdin'], { env, input: content })).stdout.trim();
      const blob = await hash('blob', Buffer.from('a\n'));
      const sub = await hash('tree', encodeTree([{ mode: '100644', path: 'x', oid: blob, type: 'blob' }]));
      // "a.b" < "a/" < "a0" in git's order; a naive sort by name would put the folder "a" first.
      const entries = [
        { mode: '040000', path: 'a', oid: sub, type: 'tree' as const },
        { mode: '100644', path: 'a.b', oid: blob, type: 'blob' as const },
        { mode: '100755', path: 'a0', oid: blob, type: 'blob' as const },
      ];
      const tree = encodeTree(entries);
      assert.equal(objectId({ type: 'tree', content: tree }), await hash('tree', tree));
      const listed = (await runCommand('git', ['--git-dir', dir, 'ls-tree', objectId({ type: 'tree', content: tree })], { env })).stdout;
      assert.deepEqual(listed.trim().split('\n').map((l) => l.split('\t')[1]), ['a.b', 'a', 'a0']);

      const person = { name: 'Tag <Pilot>', email: 'tp@example.test', timestamp: 1_700_000_000, timezoneOffset: -120 };
      const fields = { tree: objectId({ type: 'tree', content: tree }), parents: [], author: person, committer: person, message: '\r\nsubject\r\n\r\nbody\n\n\n' };
      const commit = encodeCommit(fields);
      const shown = (await runCommand('git', ['--git-dir', dir, 'cat-file', 'commit', await hash('commit', commit)], { env })).stdout;
      assert.equal(shown, commit.toString());
      assert.match(shown, /^author Tag Pilot <tp@example\.test> 1700000000 \+0200$/m);
      assert.ok(shown.endsWith('\n\nsubject\n\nbody\n'));
      assert.equal(commitPayload(fields), shown, 'unsigned: the payload is the commit itself');
    } finally {
      await removeTempDir(dir);
    }
  });

  it('puts a signature in a gpgsig header that leaves the payload intact', () => {
    const person = { name: 'a', email: 'a@b', timestamp: 1, timezoneOffset: 0 };
    const fields = { tree: '4b825dc642cb6eb9a060e54bf8d69288fbee4904', parents: ['a'.repeat(40)], author: person, committer: person, message: 'm' };
    const signature = '-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n';
    const text = encodeCommit(fields, signature).toString();
    assert.match(text, /\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----\n\nm\n$/);
    assert.equal(text.replace(/gpgsig [^]*?END PGP SIGNATURE-----\n/, ''), commitPayload(fields));
  });
});
