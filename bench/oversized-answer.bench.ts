// A stand-in registry streams a 300 MB tags/list. RegistryClient must drop it at its cap, so memory
// grows by about the cap, not by the answer; the baseline is the same stream read and thrown away
// chunk by chunk (the least any reader of the whole answer spends). Each is measured in a fresh
// process (oversized-answer-probe.ts): RSS rarely shrinks, so one reading would skew the other.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, type Benchmark } from './bench-result.js';

const PROBE = fileURLToPath(new URL('./oversized-answer-probe.ts', import.meta.url));
const ROUNDS = 3;

export const run: Benchmark = async () => {
  const probe = (reader: string): number =>
    Number(execFileSync(process.execPath, ['--import', 'tsx', PROBE, reader], { encoding: 'utf8' }).trim());
  const figures: number[] = [];
  const baselines: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    figures.push(probe('client'));
    baselines.push(probe('drop'));
  }
  return [
    {
      name: 'registry: a 300 MB tags/list, refused at the 16 MiB cap',
      unit: 'MiB peak RSS growth (median)',
      figure: median(figures),
      baselineName: 'the whole stream read and dropped',
      baseline: median(baselines),
      aim: '< 100 MiB',
    },
  ];
};
