// serve follows its config on disk however it is replaced: `sed -i` (a new file renamed over the old),
// a new *.yaml in a config folder, a ConfigMap's `..data` symlink swap. An invalid edit is logged at
// error with its problem and the running config stays; reloads never overlap.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';
import { Service } from '../../src/serve.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const run = promisify(execFile);

const images = (names: string[]) =>
  `images: [${names.map((n) => `{ name: ${n}, repository: 127.0.0.1:9/none/${n}, interval: 0 }`).join(', ')}]\n`;
const config = (names: string[]) => `${images(names)}server: { host: 127.0.0.1, port: 0 }\n`;

interface LogLine {
  level: number;
  msg: string;
  problems?: string;
}

/** A service on `configPath` whose log lines the test reads. */
async function startWatched(configPath: string, onLine: (line: LogLine) => void = () => {}) {
  const lines: LogLine[] = [];
  const log = createLogger('info', {
    write: (text: string) => {
      const line = JSON.parse(text) as LogLine;
      lines.push(line);
      onLine(line);
    },
  });
  const service = await Service.start(await loadConfig(configPath, {}), { configPath, env: {}, watchConfig: true }, log);
  const reloads = () => lines.filter((l) => l.msg === 'config reloaded').length;
  const names = () => service.pipeline.config.images.map((i) => i.name);
  /** Waits for reload number `count` and checks it brought `expected`. */
  const reloaded = async (count: number, expected: string[]) => {
    await waitFor(`reload ${count}`, async () => reloads() >= count, 10_000);
    assert.equal(reloads(), count, 'one reload per change');
    assert.deepEqual(names(), expected);
  };
  return { service, lines, reloads, names, reloaded };
}

describe('config watch', () => {
  let dir: string;
  let count = 0;
  const services: Service[] = [];
  before(async () => {
    dir = await makeTempDir('watch');
  });
  after(async () => {
    for (const service of services) await service.stop();
    if (dir) await removeTempDir(dir);
  });
  const folder = async () => {
    const path = join(dir, `case-${++count}`);
    await mkdir(path);
    return path;
  };

  it('reloads after each of three `sed -i` replacements of the file', { timeout: 30_000 }, async () => {
    const configPath = join(await folder(), 'tagpilot.yaml');
    await writeFile(configPath, config(['a']));
    const watched = await startWatched(configPath);
    services.push(watched.service);
    // sed -i writes a temporary file in the same folder and renames it over the config: a new inode each time.
    await run('sed', ['-i', 's/name: a,/name: b,/', configPath]);
    await watched.reloaded(1, ['b']);
    await run('sed', ['-i', 's/name: b,/name: c,/', configPath]);
    await watched.reloaded(2, ['c']);
    await run('sed', ['-i', 's/name: c,/name: d,/', configPath]);
    await watched.reloaded(3, ['d']);
  });

  it('logs an invalid edit at error with its problem, keeps the running config, and still follows later edits', { timeout: 30_000 }, async () => {
    const configPath = join(await folder(), 'tagpilot.yaml');
    await writeFile(configPath, config(['a']));
    const watched = await startWatched(configPath);
    services.push(watched.service);
    const replace = async (text: string) => {
      await writeFile(`${configPath}.tmp`, text);
      await rename(`${configPath}.tmp`, configPath);
    };
    await replace(`${config(['a', 'b'])}unknownKey: 1\n`);
    await waitFor('the rejection', async () => watched.lines.some((l) => l.msg.startsWith('config reload rejected')), 10_000);
    const rejected = watched.lines.find((l) => l.msg.startsWith('config reload rejected'))!;
    assert.equal(rejected.level, 50, 'logged at error');
    assert.match(rejected.problems ?? '', /tagpilot\.yaml:3:1: .*unknownKey/);
    assert.deepEqual(watched.names(), ['a'], 'the running config stays');
    const status = await fetch(`http://127.0.0.1:${watched.service.port}/api/v1/status`);
    assert.equal(status.status, 200, 'still serving');
    assert.equal(watched.reloads(), 0);
    await replace(config(['c']));
    await watched.reloaded(1, ['c']);
  });

  it('picks up a new *.yaml file in a config folder', { timeout: 30_000 }, async () => {
    const configDir = await folder();
    await writeFile(join(configDir, 'images.yaml'), images(['a']));
    await writeFile(join(configDir, 'server.yaml'), 'server: { host: 127.0.0.1, port: 0 }\n');
    const watched = await startWatched(configDir);
    services.push(watched.service);
    await writeFile(join(configDir, 'notes.txt'), 'not config\n');
    await writeFile(join(configDir, 'more.yaml'), 'policies: []\n');
    await watched.reloaded(1, ['a']);
    await writeFile(join(configDir, 'zz-images.yaml'), images(['b']));
    await watched.reloaded(2, ['a', 'b']);
  });

  // deploy/ mounts the ConfigMap as the config folder (TAGPILOT_CONFIG=/config); --config may name its file too.
  for (const mode of ['folder', 'file'] as const) {
    it(`follows a ConfigMap update of a config ${mode}: the \`..data\` symlink swapped to a new folder`, { timeout: 30_000 }, async () => {
      const mount = await folder();
      const version = async (name: string, names: string[]) => {
        await mkdir(join(mount, name));
        await writeFile(join(mount, name, 'tagpilot.yaml'), config(names));
      };
      // The layout kubelet's atomic writer makes: tagpilot.yaml -> ..data/tagpilot.yaml, ..data -> ..<timestamp>.
      await version('..2026_01_01_v1', ['a']);
      await symlink('..2026_01_01_v1', join(mount, '..data'));
      await symlink('..data/tagpilot.yaml', join(mount, 'tagpilot.yaml'));
      const watched = await startWatched(mode === 'folder' ? mount : join(mount, 'tagpilot.yaml'));
      services.push(watched.service);
      for (const [i, names] of [['b'], ['c']].entries()) {
        await version(`..2026_01_01_v${i + 2}`, names);
        await symlink(`..2026_01_01_v${i + 2}`, join(mount, '..data_tmp'));
        await rename(join(mount, '..data_tmp'), join(mount, '..data'));
        await watched.reloaded(i + 1, names);
      }
    });
  }

  it('serialises reloads: asked for three times during one, it runs once more', { timeout: 30_000 }, async () => {
    const configPath = join(await folder(), 'tagpilot.yaml');
    await writeFile(configPath, config(['a']));
    const during: Array<Promise<unknown>> = [];
    // Asked for from inside the first reload, as it logs its end: it has not returned yet.
    const watched = await startWatched(configPath, (line) => {
      if (line.msg === 'config reloaded' && during.length === 0) during.push(service().reload(), service().reload(), service().reload());
    });
    const service = () => watched.service;
    services.push(watched.service);
    const first = await watched.service.reload();
    assert.ok(first.ok);
    assert.equal(during.length, 3);
    assert.equal(during[0], during[2], 'requests during a reload share the one that follows');
    await Promise.all(during);
    assert.equal(watched.reloads(), 2, 'the reload, and one more for the requests made during it');
    // A reload asked for as the service stops does not start a scheduler after stop() stopped it.
    const late = watched.service.reload();
    await watched.service.stop();
    assert.deepEqual(await late, { ok: false, problems: 'the service is stopping' });
  });
});
