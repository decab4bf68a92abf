// `tagpilot plan` output: a unified diff per automation, as `git diff` would print it.
import { createTwoFilesPatch } from 'diff';
import { formatSetterProblem } from './format-setter-problem.js';
import type { AutomationResult } from './run-automation.js';

/** The diff of one automation's dry run, headed by its name, its held-back tags and its marker/file problems; says so when nothing would change. */
export function renderPlan(result: AutomationResult): string {
  const header = `# automation ${result.automation}: ${describeCount(result.diffs.size)}\n`;
  const held = result.heldBack.map(
    (h) => `# ${h.policy}: ${h.repository}:${h.tag} held back: ${h.commit.slice(0, 12)} was reverted by ${h.revertedBy.slice(0, 12)}\n`,
  );
  const problems = result.problems.map((p) => `# problem: ${formatSetterProblem(p)}\n`);
  const patches = [...result.diffs]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, [before, after]]) => {
      const patch = createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 });
      // Drop jsdiff's "Index:"/"===" preamble so the output reads (and applies) like git's.
      return `diff --git a/${path} b/${path}\n${patch.slice(patch.indexOf('--- '))}`;
    });
  return header + held.join('') + problems.join('') + patches.join('');
}

function describeCount(files: number): string {
  if (files === 0) return 'no change';
  return files === 1 ? '1 file would change' : `${files} files would change`;
}
