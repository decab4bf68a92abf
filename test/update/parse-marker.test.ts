import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMarker } from '../../src/update/parse-marker.js';

const known = new Set(['app', 'tag']);
const isPolicy = (name: string): boolean => known.has(name);

describe('parseMarker', () => {
  const cases: Array<[label: string, comment: string, expected: ReturnType<typeof parseMarker>]> = [
    ['plain comment', '# just a note', null],
    ['whole value', '# {"$imagepolicy": "app"}', { policy: 'app', field: 'image' }],
    ['namespaced', '# {"$imagepolicy": "flux-system:app"}', { namespace: 'flux-system', policy: 'app', field: 'image' }],
    ['field', '# {"$imagepolicy": "app:tag"}', { policy: 'app', field: 'tag' }],
    ['namespaced field', '# {"$imagepolicy": "flux-system:app:digest"}', { namespace: 'flux-system', policy: 'app', field: 'digest' }],
    ['name field', '# {"$imagepolicy": "app:name"}', { policy: 'app', field: 'name' }],
    ['no space, extra spaces', '#{ "$imagepolicy" :"app" }', { policy: 'app', field: 'image' }],
    ['a policy named like a field, namespaced', '# {"$imagepolicy": "ns:tag"}', { namespace: 'ns', policy: 'tag', field: 'image' }],
    ['unknown policy then field reads as field', '# {"$imagepolicy": "ghost:name"}', { policy: 'ghost', field: 'name' }],
    ['only a policy named like the field is known: NS:NAME', '# {"$imagepolicy": "ghost:tag"}', { namespace: 'ghost', policy: 'tag', field: 'image' }],
    ['both known: the field reading wins', '# {"$imagepolicy": "app:tag"}', { policy: 'app', field: 'tag' }],
    ['unknown namespace and policy read as NS:NAME', '# {"$imagepolicy": "ns:ghost"}', { namespace: 'ns', policy: 'ghost', field: 'image' }],
    ['mistyped field of a known policy', '# {"$imagepolicy": "app:version"}', { problem: 'unknown marker field "version": expected tag, name or digest' }],
    ['bad third part', '# {"$imagepolicy": "ns:app:version"}', { problem: 'unknown marker field "version": expected tag, name or digest' }],
    ['empty part', '# {"$imagepolicy": "ns::tag"}', { problem: 'malformed marker policy "ns::tag": expected POLICY, NS:POLICY, POLICY:FIELD or NS:POLICY:FIELD' }],
    ['too many parts', '# {"$imagepolicy": "a:b:c:tag"}', { problem: 'malformed marker policy "a:b:c:tag": expected POLICY, NS:POLICY, POLICY:FIELD or NS:POLICY:FIELD' }],
    ['unquoted', '# {"$imagepolicy": app}', { problem: 'malformed marker "# {\\"$imagepolicy\\": app}": expected # {"$imagepolicy": "POLICY"}' }],
  ];
  for (const [label, comment, expected] of cases) {
    it(label, () => assert.deepEqual(parseMarker(comment, isPolicy), expected));
  }
});
