// One measurement of bench/oversized-answer.bench.ts, in a process of its own so neither reading
// starts from the memory the other left behind: prints the peak RSS growth, in MiB, of reading a
// 300 MB tags/list with `client` (RegistryClient, which must refuse it at its cap) or `drop` (fetch,
// every chunk thrown away).
import { RegistryClient } from '../src/registry/registry-client.js';
import { startScriptedRegistry, streamTagList } from '../test/registry/scripted-registry.js';

const TOTAL_BYTES = 300 * 1024 * 1024;
const MiB = 1024 * 1024;

const readers: Record<string, (url: string, host: string) => Promise<void>> = {
  async client(_url, host) {
    const client = new RegistryClient([{ host, insecure: true, concurrency: 1 }]);
    const refused = await client.listTags(`${host}/acme/huge`).then(
      () => false,
      (err: Error) => /larger than the limit/.test(err.message),
    );
    if (!refused) throw new Error('the 300 MB tags/list was not refused at the cap');
  },
  async drop(url) {
    const res = await fetch(url);
    for await (const chunk of res.body!) void chunk;
  },
};

const reader = readers[process.argv[2] ?? ''];
if (!reader) throw new Error(`usage: oversized-answer-probe.ts ${Object.keys(readers).join('|')}`);
const registry = await startScriptedRegistry();
registry.script((_req, res) => void streamTagList(res, TOTAL_BYTES));
try {
  const start = process.memoryUsage().rss;
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    await reader(`${registry.url}/v2/acme/huge/tags/list?n=1000`, registry.host);
  } finally {
    clearInterval(sampler);
  }
  process.stdout.write(`${(Math.max(peak, process.memoryUsage().rss) - start) / MiB}\n`);
} finally {
  await registry.close();
}
