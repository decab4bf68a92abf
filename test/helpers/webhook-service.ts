// A serve whose one image is scanned on webhooks only: the service the webhook tests start.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';
import { Service } from '../../src/serve.js';

/**
 * Starts a service watching `<registryHost>/acme/app` (interval 0) for the `fleet` repository at
 * `repoUrl`, with a distribution webhook named `registry` behind `secret`, on `port` (0: any); its
 * debug log lines, parsed, are pushed to `lines`. Resolves once its start-up pass is done.
 */
export async function startWebhookOnlyService(options: {
  registryHost: string;
  repoUrl: string;
  dir: string;
  port: number;
  secret: string;
  lines: unknown[];
}): Promise<Service> {
  const { registryHost, repoUrl, dir, port, secret, lines } = options;
  const configPath = join(dir, 'tagpilot.yaml');
  await writeFile(
    configPath,
    `images: [{ name: app, repository: ${registryHost}/acme/app, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
automations: [{ name: fleet, git: { url: ${repoUrl} }, interval: 0 }]
registries: [{ host: ${registryHost}, insecure: true }]
webhooks: [{ name: registry, type: distribution, secretEnv: HOOK_SECRET }]
server: { host: 127.0.0.1, port: ${port} }
stateDir: ${join(dir, 'state')}
`,
  );
  const env = { ...process.env, HOOK_SECRET: secret };
  const log = createLogger('debug', { write: (text: string) => void lines.push(JSON.parse(text)) });
  const service = await Service.start(await loadConfig(configPath, env), { configPath, env }, log);
  await service.queue.idle();
  return service;
}
