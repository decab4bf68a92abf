// Every YAML example in README.md and docs/*.md is valid YAML as written, and every one that is a
// tagpilot config passes `tagpilot check` with its variables set and the files it names present.
// A block that is something else (a manifest line, an Argo CD Application, a registry's own
// config) says so in an HTML comment on the line before its fence:
//   <!-- not a tagpilot config: WHAT IT IS -->
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../src/cli.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const NOT_CONFIG = /^<!-- not a tagpilot config: .+ -->$/;
/** Keys whose value is a path the config names: check reads them, so the test puts a file there. */
const FILE_KEY = /\b((?:\w+File|dockerConfig)\s*:\s*)(['"]?)([^\s'",}]+)\2/g;

interface Example {
  doc: string;
  line: number;
  text: string;
  config: boolean;
}

function examples(): Example[] {
  const docs = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  return docs.flatMap((doc) => {
    const lines = readFileSync(doc, 'utf8').split('\n');
    const found: Example[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
      const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
      assert.ok(end > i, `${doc}:${i + 1}: unclosed code block`);
      let previous = i - 1;
      while (previous >= 0 && lines[previous]!.trim() === '') previous--;
      found.push({ doc, line: i + 1, text: `${lines.slice(i + 1, end).join('\n')}\n`, config: !NOT_CONFIG.test(lines[previous]?.trim() ?? '') });
      i = end;
    }
    return found;
  });
}

/** Any variable the example names is set (its value says which it is). */
const everyVariable = new Proxy({ TAGPILOT_LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv, {
  get: (target, name) =>
    typeof name !== 'string' ? undefined : name in target ? target[name] : name === 'TAGPILOT_CONFIG' ? undefined : name.endsWith('_URL') ? `https://example.test/${name}` : `value-of-${name}`,
});

describe('the docs’ YAML examples', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('docs-examples');
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  const all = examples();
  it('there are examples of both kinds to check', () => {
    assert.ok(all.filter((e) => e.config).length >= 5);
    assert.ok(all.some((e) => !e.config));
  });

  for (const example of all) {
    const label = `${example.doc}:${example.line}`;
    it(`${label} is valid YAML${example.config ? ' and passes tagpilot check' : ''}`, async () => {
      for (const doc of parseAllDocuments(example.text)) assert.deepEqual(doc.errors.map((e) => e.message), [], label);
      if (!example.config) return;
      // The files it names are put under the temporary folder, the paths in the text pointed there.
      const files = join(dir, label.replace(/[/:.]/g, '_'));
      const text = example.text.replace(FILE_KEY, (_whole, key: string, quote: string, path: string) => {
        const local = join(files, path.replace(/^~/, 'home'));
        mkdirSync(dirname(local), { recursive: true });
        // A file holding a URL (a notification's urlFile) must hold one.
        writeFileSync(local, /url/i.test(path) ? 'https://example.test/from-a-file\n' : 'placeholder\n');
        return `${key}${quote}${local}${quote}`;
      });
      const path = join(dir, `${label.replace(/[/:.]/g, '_')}.yaml`);
      writeFileSync(path, text);
      let err = '';
      const code = await runCli(['check', '--config', path], { out: () => {}, err: (t) => (err += t), env: everyVariable });
      assert.equal(code, 0, `${label}:\n${err}\n${text}`);
    });
  }
});
