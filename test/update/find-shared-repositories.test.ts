import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findSharedRepositories } from '../../src/update/find-shared-repositories.js';

describe('findSharedRepositories', () => {
  it('finds policies on the same repository however it is spelled', () => {
    const shared = findSharedRepositories([
      { policy: 'web', repository: 'nginx' },
      { policy: 'app', repository: 'ghcr.io/acme/app' },
      { policy: 'web-mainline', repository: 'docker.io/library/nginx' },
      { policy: 'web-hub', repository: 'index.docker.io/library/nginx' },
    ]);
    assert.deepEqual(shared, [{ repository: 'docker.io/library/nginx', policies: ['web', 'web-mainline', 'web-hub'] }]);
  });

  it('reports nothing when each repository has one policy, and counts a repeated policy once', () => {
    assert.deepEqual(
      findSharedRepositories([
        { policy: 'api', repository: 'registry.example.com:5000/team/api' },
        { policy: 'api-no-port', repository: 'registry.example.com/team/api' },
        { policy: 'api', repository: 'registry.example.com:5000/team/api' },
      ]),
      [],
    );
  });
});
