// Property: for generated YAML streams with markers (block and flow collections, all three quote
// styles, comments, blank lines, ---, CRLF, a BOM, with or without a final newline), every byte
// outside the marked scalars comes back identical, and each marked scalar reads back as the pick.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { applySetters } from '../../src/update/apply-setters.js';
import type { ImagePick } from '../../src/update/apply-setters.js';

type Field = 'image' | 'name' | 'tag' | 'digest';
interface MarkerSpec {
  policy: 'app' | 'web' | 'ghost';
  field: Field;
  namespaced: boolean;
  gap: number;
}
interface Leaf {
  kind: 'leaf';
  style: 'plain' | 'single' | 'double';
  value: string;
  marker: MarkerSpec | null;
  comment: boolean;
}
interface BlockMap {
  kind: 'map';
  entries: Array<[string, Node]>;
  notes: string[];
}
interface BlockSeq {
  kind: 'seq';
  items: Node[];
}
interface FlowSeq {
  kind: 'flow-seq';
  items: Leaf[];
}
interface FlowMap {
  kind: 'flow-map';
  entries: Array<[string, Leaf]>;
}
type Node = Leaf | BlockMap | BlockSeq | FlowSeq | FlowMap;

interface Layout {
  eol: '\n' | '\r\n';
  step: 2 | 4;
  indentSeqs: boolean;
  bom: boolean;
  finalNewline: boolean;
  leadingDocStart: boolean;
  docEnd: boolean;
}

type Segment = { fixed: string } | { slot: string; document: number; path: Array<string | number>; leaf: Leaf };

const PLAIN_VALUES = ['ghcr.io/acme/app:0.1.0', 'old', 'nginx:1.0', 'x-y_z', 'v0', 'a b', "it's", 'sha256:00ff'];
const QUOTED_VALUES = [...PLAIN_VALUES, 'say "hi"', 'back\\slash', 'a: b # not a comment', ''];
const TAGS = ['1.10', 'true', '0x1F', 'null', '1e3', 'yes', '2024-01-02', 'v1.2.3', 'latest', '1.4.2', 'it_s-1.0'];
const DIGEST = 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';
const KEYS = ['image', 'tag', 'name', 'repository', 'spec', 'values', 'a', 'b', 'c'];
const NOTES = ['# a note', `# {"$imagepolicy": "app"} on a line of its own`, ''];

const markerArb: fc.Arbitrary<MarkerSpec> = fc.record({
  policy: fc.constantFrom('app' as const, 'web' as const, 'ghost' as const),
  field: fc.constantFrom<Field>('image', 'name', 'tag', 'digest'),
  namespaced: fc.boolean(),
  gap: fc.integer({ min: 1, max: 3 }),
});

const leafArb: fc.Arbitrary<Leaf> = fc.constantFrom('plain' as const, 'single' as const, 'double' as const).chain((style) =>
  fc.record({
    kind: fc.constant('leaf' as const),
    style: fc.constant(style),
    value: fc.constantFrom(...(style === 'plain' ? PLAIN_VALUES : QUOTED_VALUES)),
    marker: fc.option(markerArb, { nil: null, freq: 2 }),
    comment: fc.boolean(),
  }),
);

const entriesArb = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<Array<[string, T]>> =>
  fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), value), { minLength: 1, maxLength: 4, selector: ([key]) => key });

const { map: mapArb } = fc.letrec<{ node: Node; map: BlockMap; seq: BlockSeq }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'tree' },
    leafArb,
    tie('map'),
    tie('seq'),
    fc.record({ kind: fc.constant('flow-seq' as const), items: fc.array(leafArb, { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('flow-map' as const), entries: entriesArb(leafArb) }),
  ),
  map: fc.record({
    kind: fc.constant('map' as const),
    entries: entriesArb(tie('node')),
    notes: fc.array(fc.constantFrom(...NOTES), { maxLength: 4 }),
  }),
  seq: fc.record({ kind: fc.constant('seq' as const), items: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
}));

const layoutArb: fc.Arbitrary<Layout> = fc.record({
  eol: fc.constantFrom('\n' as const, '\r\n' as const),
  step: fc.constantFrom(2 as const, 4 as const),
  indentSeqs: fc.boolean(),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
  leadingDocStart: fc.boolean(),
  docEnd: fc.boolean(),
});

const picksArb = fc.record({
  appTag: fc.constantFrom(...TAGS),
  appDigest: fc.boolean(),
  webTag: fc.constantFrom(...TAGS),
  webDigest: fc.boolean(),
});

class Emitter {
  readonly segments: Segment[] = [];
  private document = 0;
  constructor(private readonly layout: Layout) {}

  fixed(text: string): void {
    const last = this.segments.at(-1);
    if (last && 'fixed' in last) last.fixed += text;
    else this.segments.push({ fixed: text });
  }

  stream(documents: BlockMap[]): void {
    const { eol } = this.layout;
    if (this.layout.bom) this.fixed('\ufeff');
    documents.forEach((document, index) => {
      this.document = index;
      if (index > 0 || this.layout.leadingDocStart) this.fixed(`---${eol}`);
      this.map(document, 0, []);
      if (this.layout.docEnd) this.fixed(`...${eol}`);
    });
    const last = this.segments.at(-1);
    if (!this.layout.finalNewline && last && 'fixed' in last && last.fixed.endsWith(eol)) {
      last.fixed = last.fixed.slice(0, -eol.length);
    }
  }

  private map(map: BlockMap, indent: number, path: Array<string | number>, firstLead?: string): void {
    const { eol } = this.layout;
    map.entries.forEach(([key, value], index) => {
      const note = map.notes[index];
      if (note !== undefined && !(index === 0 && firstLead !== undefined)) this.fixed(`${' '.repeat(indent)}${note}${eol}`);
      this.fixed(`${index === 0 && firstLead !== undefined ? firstLead : ' '.repeat(indent)}${key}:`);
      this.value(value, indent, [...path, key]);
    });
  }

  /** Emits what follows `key:` (or `-`) at this indent. */
  private value(node: Node, indent: number, path: Array<string | number>): void {
    const { eol, step } = this.layout;
    switch (node.kind) {
      case 'leaf':
        this.fixed(' ');
        this.leafLine(node, path, '');
        return;
      case 'map':
        this.fixed(eol);
        this.map(node, indent + step, path);
        return;
      case 'seq':
        this.fixed(eol);
        this.seq(node, indent + (this.layout.indentSeqs ? step : 0), path);
        return;
      case 'flow-seq':
        this.fixed(` [${eol}`);
        node.items.forEach((leaf, index) => {
          this.fixed(' '.repeat(indent + step));
          this.leafLine(leaf, [...path, index], ',');
        });
        this.fixed(`${' '.repeat(indent + step)}]${eol}`);
        return;
      case 'flow-map':
        this.fixed(` {${eol}`);
        for (const [key, leaf] of node.entries) {
          this.fixed(`${' '.repeat(indent + step)}${key}: `);
          this.leafLine(leaf, [...path, key], ',');
        }
        this.fixed(`${' '.repeat(indent + step)}}${eol}`);
        return;
    }
  }

  private seq(seq: BlockSeq, indent: number, path: Array<string | number>): void {
    const { eol } = this.layout;
    seq.items.forEach((item, index) => {
      const dash = `${' '.repeat(indent)}- `;
      if (item.kind === 'leaf') {
        this.fixed(dash);
        this.leafLine(item, [...path, index], '');
      } else if (item.kind === 'map') {
        this.map(item, indent + 2, [...path, index], dash);
      } else if (item.kind === 'seq') {
        this.fixed(`${' '.repeat(indent)}-${eol}`);
        this.seq(item, indent + 2, [...path, index]);
      } else {
        this.fixed(dash.trimEnd());
        this.value(item, indent + 2, [...path, index]);
      }
    });
  }

  private leafLine(leaf: Leaf, path: Array<string | number>, after: string): void {
    this.segments.push({ slot: quote(leaf), document: this.document, path, leaf });
    this.fixed(after);
    if (leaf.marker) this.fixed(`${' '.repeat(leaf.marker.gap)}${markerText(leaf.marker)}`);
    else if (leaf.comment) this.fixed(' # just a comment');
    this.fixed(this.layout.eol);
  }
}

function quote(leaf: Leaf): string {
  if (leaf.style === 'plain') return leaf.value;
  if (leaf.style === 'single') return `'${leaf.value.replaceAll("'", "''")}'`;
  return JSON.stringify(leaf.value);
}

function markerText(marker: MarkerSpec): string {
  const name = `${marker.namespaced ? 'flux-system:' : ''}${marker.policy}${marker.field === 'image' ? '' : `:${marker.field}`}`;
  return `# {"$imagepolicy": "${name}"}`;
}

/** What a marked scalar should read after the update, or null when its marker cannot apply. */
function expectedValue(marker: MarkerSpec, picks: ReadonlyMap<string, ImagePick>): string | null {
  const pick = picks.get(marker.policy);
  if (!pick) return null;
  switch (marker.field) {
    case 'image':
      return `${pick.repository}:${pick.tag}${pick.digest ? `@${pick.digest}` : ''}`;
    case 'name':
      return pick.repository;
    case 'tag':
      return pick.tag;
    case 'digest':
      return pick.digest ?? null;
  }
}

describe('applySetters property', () => {
  it('changes only the marked scalars, each to the picked value', () => {
    fc.assert(
      fc.property(fc.array(mapArb, { minLength: 1, maxLength: 3 }), layoutArb, picksArb, (documents, layout, p) => {
        const picks = new Map<string, ImagePick>([
          ['app', { policy: 'app', repository: 'ghcr.io/acme/app', tag: p.appTag, ...(p.appDigest && { digest: DIGEST }) }],
          ['web', { policy: 'web', repository: 'nginx', tag: p.webTag, ...(p.webDigest && { digest: DIGEST }) }],
        ]);
        const emitter = new Emitter(layout);
        emitter.stream(documents);
        const original = emitter.segments.map((s) => ('fixed' in s ? s.fixed : s.slot)).join('');
        assert.deepEqual(parseAllDocuments(original).flatMap((d) => ('errors' in d ? d.errors : [])), [], `generator wrote invalid YAML:\n${original}`);

        const result = applySetters('gen.yaml', original, picks, { mode: 'markers' });

        let at = 0;
        const read = parseAllDocuments(result.text);
        // Kubernetes reads YAML 1.1, where `yes` and `2024-01-02` are not strings.
        const read11 = parseAllDocuments(result.text, { version: '1.1' });
        let expectedChanges = 0;
        let expectedProblems = 0;
        emitter.segments.forEach((segment, index) => {
          if ('fixed' in segment) {
            assert.equal(result.text.slice(at, at + segment.fixed.length), segment.fixed, `fixed bytes moved near offset ${at}`);
            at += segment.fixed.length;
            return;
          }
          const next = emitter.segments[index + 1];
          // A written scalar never holds a line break, comma or comment, so the next fixed text bounds it.
          const end = next && 'fixed' in next && next.fixed !== '' ? result.text.indexOf(next.fixed, at) : result.text.length;
          const written = result.text.slice(at, end);
          at = end;
          const want = segment.leaf.marker ? expectedValue(segment.leaf.marker, picks) : null;
          if (segment.leaf.marker && want === null) expectedProblems += 1;
          const document = read[segment.document];
          assert.ok(document && !('errors' in document && document.errors.length > 0), 'output must parse');
          if (want === null || want === segment.leaf.value) {
            assert.equal(written, segment.slot, 'an unchanged scalar keeps its bytes');
          } else {
            expectedChanges += 1;
            assert.equal(document.getIn(segment.path), want, `scalar at ${segment.path.join('.')} reads back as the pick`);
            assert.equal(read11[segment.document]?.getIn(segment.path), want, `and reads so in YAML 1.1 too`);
          }
        });
        assert.equal(at, result.text.length, 'nothing after the last segment');
        assert.equal(result.changes.length, expectedChanges);
        assert.equal(result.problems.length, expectedProblems);
        if (expectedChanges === 0) assert.equal(result.text, original);
      }),
      { numRuns: 400, includeErrorInReport: true },
    );
  });
});
