// The `Link` header of tags/list pages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { nextPageUrl } from '../../src/registry/next-page-url.js';

describe('nextPageUrl', () => {
  const current = 'https://r.example.com/v2/acme/app/tags/list?n=100';
  const cases: Array<[label: string, link: string | undefined, expected: string | null]> = [
    ['no header', undefined, null],
    ['a relative link', '</v2/acme/app/tags/list?n=100&last=b>; rel="next"', 'https://r.example.com/v2/acme/app/tags/list?n=100&last=b'],
    ['an unquoted rel', '</v2/acme/app/tags/list?last=b>; rel=next', 'https://r.example.com/v2/acme/app/tags/list?last=b'],
    ['an absolute link on the same origin', '<https://r.example.com/v2/x?last=b>; rel="next"', 'https://r.example.com/v2/x?last=b'],
    ['prev before next', '</prev>; rel="prev", </next>; rel="next"', 'https://r.example.com/next'],
    ['several rels in one', '</both>; rel="next last"', 'https://r.example.com/both'],
    ['other parameters first', '</p>; title="page 2"; rel="next"', 'https://r.example.com/p'],
    ['only a prev link', '</prev>; rel="prev"', null],
    ['a rel that only contains "next"', '</x>; rel="nextish"', null],
  ];
  for (const [label, link, expected] of cases) {
    it(`reads ${label}`, () => assert.equal(nextPageUrl(link, current, 'r.example.com/acme/app'), expected));
  }

  const refused: Array<[label: string, link: string]> = [
    ['another host', '<https://evil.example.net/v2/acme/app/tags/list?last=b>; rel="next"'],
    ['another scheme', '<http://r.example.com/v2/acme/app/tags/list?last=b>; rel="next"'],
    ['another port', '<https://r.example.com:8443/v2/acme/app/tags/list?last=b>; rel="next"'],
    ['a protocol-relative link', '<//evil.example.net/v2/x>; rel="next"'],
  ];
  for (const [label, link] of refused) {
    it(`refuses ${label}, naming the repository`, () => {
      assert.throws(() => nextPageUrl(link, current, 'r.example.com/acme/app'), (err: Error) => {
        assert.ok(err instanceof InputError);
        assert.match(err.message, /^r\.example\.com\/acme\/app: .*another origin/);
        return true;
      });
    });
  }
});
