// `tagpilot scan`'s registry half against a real registry: tags listed, cosign artefacts excluded.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { scanRepository } from '../../src/registry/scan-repository.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';

describe('scanRepository', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  before(async () => {
    registry = await startRegistry();
    for (const tag of ['1.0.0', '1.1.0', 'sha256-0a1b.sig', 'sha256-0a1b.att', 'sha256-0a1b.sbom']) await registry.pushImage('acme/app', tag);
    client = new RegistryClient([{ host: registry.host, insecure: true, concurrency: 4 }]);
  });
  after(async () => registry?.stop());

  const cases: Array<{ label: string; patterns: string[] | undefined; tags: string[]; excluded: string[] }> = [
    {
      label: 'the default exclude list drops cosign artefacts',
      patterns: undefined,
      tags: ['1.0.0', '1.1.0'],
      excluded: ['sha256-0a1b.att', 'sha256-0a1b.sbom', 'sha256-0a1b.sig'],
    },
    {
      label: 'a given list replaces the default',
      patterns: ['^1\\.0\\.'],
      tags: ['1.1.0', 'sha256-0a1b.att', 'sha256-0a1b.sbom', 'sha256-0a1b.sig'],
      excluded: ['1.0.0'],
    },
  ];
  for (const c of cases) {
    it(c.label, async () => {
      const scan = await scanRepository(client, `${registry.host}/acme/app`, c.patterns);
      assert.deepEqual(
        { ...scan, tags: [...scan.tags].sort(), excluded: [...scan.excluded].sort() },
        { repository: `${registry.host}/acme/app`, canonical: `${registry.host}/acme/app`, tags: c.tags, excluded: c.excluded },
      );
    });
  }
});
