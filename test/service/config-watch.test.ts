// serve reloads when its config file changes on disk, and keeps the old config when the new one is bad.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';
import { Service } from '../../src/serve.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const config = (images: string[]) =>
  `images: [${images.map((n) => `{ name: ${n}, repository: 127.0.0.1:9/none/${n}, interval: 0 }`).join(', ')}]
server: { host: 127.0.0.1, port: 0 }
`;

describe('config file watch', () => {
  let dir: string;
  let service: Service;
  let configPath: string;
  before(async () => {
    dir = await makeTempDir('watch');
    configPath = join(dir, 'tagpilot.yaml');
    await writeFile(configPath, config(['a']));
    service = await Service.start(loadConfig(configPath, {}), { configPath, env: {}, watchConfig: true }, createLogger('silent'));
  });
  after(async () => {
    await service?.stop();
    if (dir) await removeTempDir(dir);
  });

  const images = () => service.pipeline.config.images.map((i) => i.name);
  const settle = async (until: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!until() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  it('swaps in a valid edit', async () => {
    await writeFile(configPath, config(['a', 'b']));
    await settle(() => images().length === 2);
    assert.deepEqual(images(), ['a', 'b']);
  });

  it('keeps running the old config when the edit is invalid', async () => {
    await writeFile(configPath, `${config(['a', 'b', 'c'])}unknownKey: 1\n`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(images(), ['a', 'b']);
    // A later valid edit still gets through: the watch survived the bad one.
    await writeFile(configPath, config(['c']));
    await settle(() => images()[0] === 'c');
    assert.deepEqual(images(), ['c']);
  });
});
