import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { MAX_FILE_BYTES, applySetters } from '../../src/update/apply-setters.js';
import type { ImagePick } from '../../src/update/apply-setters.js';
import { findMisreadScalar } from '../../src/update/verify-rewrite.js';

const picks = new Map<string, ImagePick>([['app', { policy: 'app', repository: 'ghcr.io/acme/app', tag: '1.4.2' }]]);
const MARKED = 'image: ghcr.io/acme/app:1.3.0 # {"$imagepolicy": "app"}\n';

describe('applySetters', () => {
  it('skips a file over MAX_FILE_BYTES, counting bytes, not characters', () => {
    const filler = `# ${'é'.repeat((MAX_FILE_BYTES - MARKED.length) / 2)}\n`;
    const over = MARKED + filler;
    assert.ok(over.length < MAX_FILE_BYTES && Buffer.byteLength(over) > MAX_FILE_BYTES);
    const skipped = applySetters('big.yaml', over, picks, { mode: 'markers' });
    assert.equal(skipped.text, over);
    assert.deepEqual(skipped.changes, []);
    assert.deepEqual(skipped.problems, [{ file: 'big.yaml', line: 1, message: `skipped: ${Buffer.byteLength(over)} bytes is over the limit of ${MAX_FILE_BYTES}` }]);

    const under = MARKED + '#'.repeat(MAX_FILE_BYTES - MARKED.length - 1) + '\n';
    assert.equal(Buffer.byteLength(under), MAX_FILE_BYTES);
    assert.equal(applySetters('edge.yaml', under, picks, { mode: 'markers' }).changes.length, 1);
  });

  it('does not take $imagepolicy inside a string for a marker', () => {
    const text = 'note: \'# {"$imagepolicy": "app"}\'\nimage: ghcr.io/acme/app:1.3.0\n';
    assert.deepEqual(applySetters('x.yaml', text, picks, { mode: 'markers' }), { text, changes: [], problems: [], fields: [] });
  });

  it('reports every marked field with its value as given, changed or not, picked or not', () => {
    const text = [
      'image: ghcr.io/acme/app:1.3.0 # {"$imagepolicy": "app"}',
      'tag: "1.4.2" # {"$imagepolicy": "app:tag"}',
      'other: ghcr.io/acme/api:2.0.0 # {"$imagepolicy": "api"}',
      'typo: x:1 # {"$imagepolicy": "ap"}',
      '',
    ].join('\n');
    const result = applySetters('x.yaml', text, picks, { mode: 'markers', knownPolicies: new Set(['app', 'api']) });
    assert.deepEqual(result.fields, [
      { file: 'x.yaml', line: 1, policy: 'app', field: 'image', value: 'ghcr.io/acme/app:1.3.0' },
      { file: 'x.yaml', line: 2, policy: 'app', field: 'tag', value: '1.4.2' },
      { file: 'x.yaml', line: 3, policy: 'api', field: 'image', value: 'ghcr.io/acme/api:2.0.0' },
      { file: 'x.yaml', line: 4, policy: 'ap', field: 'image', value: 'x:1' },
    ]);
    assert.deepEqual(result.changes.map((c) => [c.line, c.to]), [[1, 'ghcr.io/acme/app:1.4.2']]);
    assert.deepEqual(result.problems, [{ file: 'x.yaml', line: 4, message: 'marker names unknown policy "ap"' }]);
  });

  it('sets a document that is a single marked scalar, after a tab', () => {
    const result = applySetters('x.yaml', '--- ghcr.io/acme/app:1.3.0\t# {"$imagepolicy": "app"}\n', picks, { mode: 'markers' });
    assert.equal(result.text, '--- ghcr.io/acme/app:1.4.2\t# {"$imagepolicy": "app"}\n');
  });

  it('in markers mode does not parse (or report) files without a marker', () => {
    const broken = 'a: [1\nb: ghcr.io/acme/app:1.3.0\n';
    assert.deepEqual(applySetters('x.yaml', broken, picks, { mode: 'markers' }).problems, []);
    assert.equal(applySetters('x.yaml', broken, picks, { mode: 'auto' }).problems.length, 1, 'auto mode must look: the repository is named');
  });

  it('leaves templated image values alone in auto mode', () => {
    const text = 'image: "{{ .Values.registry }}/acme/app:{{ .Values.tag }}"\nother: ghcr.io/acme/app:1.3.0\n';
    assert.equal(applySetters('x.yaml', text, picks, { mode: 'auto' }).text, text);
  });

  it('reports a marked field YAML cannot read as a scalar with its source, without throwing', () => {
    // Found by the property below (seed 1857894946): an alias followed by a flow indicator.
    const text = '? *a, # {"$imagepolicy": "app:tag"}';
    const result = applySetters('x.yaml', text, picks, { mode: 'markers' });
    assert.equal(result.text, text);
    assert.deepEqual(result.changes, []);
    assert.match(result.problems.map((p) => p.message).join('\n'), /"," is not a value YAML can read/);
  });

  it('never throws, and either returns the input or text that still parses', () => {
    const piece = fc.constantFrom(
      'image: ', 'ghcr.io/acme/app:1.3.0', ' # {"$imagepolicy": "app"}', ' # {"$imagepolicy": "app:tag"}', '\n', '\r\n', '  ', '- ', ': ',
      '"', "'", '[', ']', '{', '}', ',', '---\n', '...\n', '&a ', '*a', '|\n', '>-\n', '? ', '\t', '#', '\ufeff', 'é', '%YAML 1.2\n',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.constantFrom('markers' as const, 'auto' as const), (pieces, mode) => {
        const text = pieces.join('');
        const result = applySetters('fuzz.yaml', text, picks, { mode });
        if (result.changes.length === 0) assert.equal(result.text, text);
        else assert.deepEqual(parseAllDocuments(result.text).flatMap((d) => ('errors' in d ? d.errors : [])), []);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('findMisreadScalar', () => {
  it('accepts a scalar that reads back as written', () => {
    assert.equal(findMisreadScalar('tag: "1.10"\n', [{ offset: 5, value: '1.10', line: 1 }]), null);
  });

  it('flags a scalar that would read as a number', () => {
    const misread = findMisreadScalar('tag: 1.10\n', [{ offset: 5, value: '1.10', line: 1 }]);
    assert.equal(misread?.scalar.line, 1);
    assert.match(misread?.message ?? '', /would not read back/);
  });

  it('flags an edit that breaks the file', () => {
    const misread = findMisreadScalar('tag: a: b\n', [{ offset: 5, value: 'a: b', line: 1 }]);
    assert.match(misread?.message ?? '', /would not parse/);
  });
});
