// Verifiers are found by policy id: a namespaced policy with verify.cosign must not go unverified
// because the pipeline knows it as NS:NAME (issue 15's namespaces meeting issue 20's signatures).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PolicyConfig } from '../../src/config/schema.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { cosignVerifiers } from '../../src/verify/cosign-verifiers.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

describe('cosignVerifiers', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map(removeTempDir)));

  it('keys each verifier by policy id, sharing one per key file', async () => {
    const dir = await makeTempDir('cosign-verifiers');
    dirs.push(dir);
    const key = join(dir, 'cosign.pub');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(key, publicKey.export({ type: 'spki', format: 'pem' }));
    const policies = [
      { name: 'app', namespace: 'team-a', image: 'app-a', semver: '>=1.0.0', verify: { cosign: { publicKeyFile: key } } },
      { name: 'app', namespace: 'team-b', image: 'app-b', semver: '>=1.0.0', verify: { cosign: { publicKeyFile: key } } },
      { name: 'web', image: 'web', semver: '>=1.0.0' },
    ].map((p) => PolicyConfig.parse(p));
    const verifiers = cosignVerifiers(policies, new RegistryClient());
    assert.deepEqual([...verifiers.keys()], ['team-a:app', 'team-b:app']);
    assert.equal(verifiers.get('team-a:app'), verifiers.get('team-b:app'), 'one verifier (and verdict cache) per key');
  });
});
