import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../src/log.js';

describe('createLogger', () => {
  it('writes JSON lines with context fields and redacts secrets', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    log.child({ automation: 'fleet' }).info(
      { password: 'pw1', auth: { password: 'pw2', username: 'bot' }, headers: { authorization: 'Bearer tok' }, token: 'tok2' },
      'pushed',
    );
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(entry.automation, 'fleet');
    assert.equal(entry.msg, 'pushed');
    assert.deepEqual(entry.auth, { password: '[redacted]', username: 'bot' });
    for (const secret of ['pw1', 'pw2', 'Bearer tok', 'tok2']) assert.ok(!lines[0]!.includes(secret), `${secret} leaked`);
  });
});
