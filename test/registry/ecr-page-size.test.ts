// ECR refuses tags/list with n over 1000 (issue 16): on an ECR host the client asks for at most 1000
// tags a page whatever pageSize says, and elsewhere asks for what it says. The ECR host name is
// resolved to a scripted server on 127.0.0.1 (a stand-in: no local registry answers to that name).
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { reply, startScriptedRegistry, type ScriptedRegistry } from './scripted-registry.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe('tags/list page size on ECR', () => {
  let server: ScriptedRegistry;
  const lookup = dns.lookup;
  before(async () => {
    server = await startScriptedRegistry();
    dns.lookup = ((host: string, ...rest: unknown[]) => (lookup as (...args: unknown[]) => void).call(dns, host === ECR ? '127.0.0.1' : host, ...rest)) as typeof dns.lookup;
    server.script((_req, res) => reply(res, 200, { name: 'acme/app', tags: ['1.0.0'] }));
  });
  after(async () => {
    dns.lookup = lookup;
    await server?.close();
  });

  const cases: Array<{ label: string; host: () => string; pageSize: number; asked: string }> = [
    { label: 'an ECR host is capped at 1000', host: () => `${ECR}:${server.host.split(':')[1]}`, pageSize: 5000, asked: '1000' },
    { label: 'an ECR host may ask for fewer', host: () => `${ECR}:${server.host.split(':')[1]}`, pageSize: 200, asked: '200' },
    { label: 'another host asks for what pageSize says', host: () => server.host, pageSize: 5000, asked: '5000' },
  ];
  for (const c of cases) {
    it(c.label, async () => {
      server.script((_req, res) => reply(res, 200, { name: 'acme/app', tags: ['1.0.0'] }));
      const host = c.host();
      const client = new RegistryClient([{ host, insecure: true, concurrency: 4 }], undefined, { pageSize: c.pageSize });
      assert.deepEqual(await client.listTags(`${host}/acme/app`), ['1.0.0']);
      assert.deepEqual(server.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('n')), [c.asked]);
    });
  }
});
