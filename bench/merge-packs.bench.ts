// The fetch that finds more than MAX_PACKS packs piled up in a kept clone (each run adds two: its
// fetch's and its commit's) merges them into one pack (src/git/merge-packs.ts); before the fourteenth round it cloned
// afresh. Its time beside a fresh clone's (what it cost before) and an ordinary warm fetch's, against
// `git http-backend` on loopback, where a download costs no bandwidth: against a hosted remote the
// fresh clone also downloads the whole repository again. The repository is one where merging applies:
// 2,000 files (~1.6 MB as a pack) in 40 folders, each run changing one file. In the 5,000-file
// repository of bench/start.bench.ts, isomorphic-git fetches each commit's 20 rewritten folders whole
// (it asks for no thin pack), ~220 KB a run, and a clone of 430 KB is cheaper to download again than
// to keep: there the merge declines and the clone is made afresh, as before.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { GitRepository, MAX_PACKS, packsAndLooseCommits } from '../src/git/git-repository.js';
import { HUMAN_AUTHOR, startGitServer } from '../test/helpers/git-server.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { onTmpfs } from './reconcile-fixture.js';
import { median, type Benchmark } from './bench-result.js';
import { time } from './git.bench.js';

const FILES = 2_000;
const FOLDERS = 40;

export const run: Benchmark = async () => {
  const { scratch, server } = await onTmpfs(async () => ({ scratch: await makeTempDir('bench-merge-packs'), server: await startGitServer() }));
  try {
    const files = Object.fromEntries(Array.from({ length: FILES }, (_, i) => [`f${i % FOLDERS}/${i}.txt`, randomBytes(768).toString('base64')]));
    const url = await server.createRepo('fleet', files);
    const gitdir = join(scratch, 'kept');
    const warm: number[] = [];
    let merging: number | undefined;
    for (let i = 0; merging === undefined && i < 2 * MAX_PACKS; i++) {
      // Each run in a new instance, as each `tagpilot reconcile` is a new process.
      const repo = new GitRepository(gitdir, url);
      const due = i > 0 && (await packsAndLooseCommits(gitdir, fs)) > MAX_PACKS;
      let fetched: { head: string; clone: string } | undefined;
      const ms = await time(async () => {
        fetched = await repo.fetchHead('main');
      });
      // 'reused' after a due fetch: merged, not cloned afresh.
      if (i > 0 && fetched!.clone !== 'reused') throw new Error(`run ${i}: the clone was made afresh (${fetched!.clone})`);
      if (due) merging = ms;
      else if (i > 0) warm.push(ms);
      const commit = await repo.writeCommit(fetched!.head, new Map([[`f${i % FOLDERS}/${i}.txt`, `run ${i}\n`]]), `run ${i}`, HUMAN_AUTHOR);
      if ((await repo.push(commit, 'main')).outcome !== 'pushed') throw new Error(`run ${i}: not pushed`);
      await server.commitAsHuman('fleet', 'main', { [`f${(i + 1) % FOLDERS}/${i + 1}.txt`]: `human ${i}\n` }, `human ${i}`);
    }
    if (merging === undefined) throw new Error(`no fetch merged packs in ${2 * MAX_PACKS} runs`);
    const fresh: number[] = [];
    for (let i = 0; i < 5; i++) {
      const dir = join(scratch, `fresh-${i}`);
      fresh.push(await time(async () => void (await new GitRepository(dir, url).fetchHead('main'))));
    }
    return [
      {
        name: `git: the fetch that merges ${MAX_PACKS}+ packs, ${FILES} files`,
        unit: 'ms',
        figure: merging,
        baselineName: 'a fresh clone (what that fetch did before)',
        baseline: median(fresh),
      },
      {
        name: 'git: the same fetch',
        unit: 'ms',
        figure: merging,
        baselineName: `an ordinary warm fetch (median of ${warm.length})`,
        baseline: median(warm),
      },
    ];
  } finally {
    await server.stop();
    await removeTempDir(scratch);
  }
};
