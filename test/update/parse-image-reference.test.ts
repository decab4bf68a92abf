import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageReference } from '../../src/update/parse-image-reference.js';

const DIGEST = 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';

describe('parseImageReference', () => {
  const cases: Array<[label: string, input: string, expected: ReturnType<typeof parseImageReference>]> = [
    ['name only', 'nginx', { name: 'nginx' }],
    ['name and tag', 'nginx:1.25.0', { name: 'nginx', tag: '1.25.0' }],
    ['registry port is not a tag', 'registry.example.com:5000/team/api', { name: 'registry.example.com:5000/team/api' }],
    ['port and tag', 'registry.example.com:5000/team/api:2.0', { name: 'registry.example.com:5000/team/api', tag: '2.0' }],
    ['tag and digest', `ghcr.io/acme/app:1.0@${DIGEST}`, { name: 'ghcr.io/acme/app', tag: '1.0', digest: DIGEST }],
    ['digest only', `ghcr.io/acme/app@${DIGEST}`, { name: 'ghcr.io/acme/app', digest: DIGEST }],
    ['template is not a reference', '${APP_IMAGE}', null],
    ['Helm template is not a reference', '{{ .Values.image }}', null],
    ['spaces are not a reference', 'nginx latest', null],
    ['empty tag', 'nginx:', null],
    ['bad digest', 'nginx@md5', null],
    ['uppercase path', 'ghcr.io/Acme/app:1', null],
  ];
  for (const [label, input, expected] of cases) {
    it(label, () => assert.deepEqual(parseImageReference(input), expected));
  }
});
