// The one config schema (SPEC §1). Types derive from it; the loader adds file positions to its errors.
import { z } from 'zod';
import { translateGoRegexp } from '../policy/go-regexp.js';
import { isSshUrl, parseSshRemote } from '../git/ssh-remote.js';
import { parseDuration } from './duration.js';

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;

const name = z
  .string()
  .regex(NAME_RE, 'expected a name of lowercase letters, digits, ".", "_" or "-", starting with a letter or digit');

const duration = z
  .union([z.literal(0), z.string()])
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 5m or 1h30m (or 0), got "${value}"` });
      return z.NEVER;
    }
    return ms;
  });

/** A regex given as a string (JavaScript, or Go's spelling); checked once here so a bad one is a config error. */
const regexSource = z.string().superRefine((source, ctx) => {
  const translated = translateGoRegexp(source);
  if ('problem' in translated) ctx.addIssue({ code: 'custom', message: translated.problem });
});

/** `password`, `passwordEnv` or `passwordFile`: at most one; resolved by the loader. */
const secretSource = {
  password: z.string().optional(),
  passwordEnv: z.string().optional(),
  passwordFile: z.string().optional(),
};

const basicAuth = z
  .strictObject({ username: z.string().min(1), ...secretSource })
  .refine((a) => [a.password, a.passwordEnv, a.passwordFile].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of password, passwordEnv or passwordFile',
  });

/** Git over SSH: the private key to log in with and the host keys to trust (a host not listed is refused). */
const sshAuth = z.strictObject({
  sshKeyFile: z.string().min(1),
  knownHostsFile: z.string().min(1),
  sshKeyPassphraseEnv: z.string().min(1).optional(),
});

const dockerConfigAuth = z.strictObject({ dockerConfig: z.string().min(1) });

export const CLOUD_PROVIDERS = ['aws', 'gcp', 'azure'] as const;
export type CloudProviderId = (typeof CLOUD_PROVIDERS)[number];
/** Workload identity: the cloud SDK's default credential chain mints the registry password. */
const cloudAuth = z.strictObject({ provider: z.enum(CLOUD_PROVIDERS) });

/** A positive integer, also as the digit string `${VAR}` substitution gives. */
const numericId = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]*$/, 'expected a positive integer')]).transform(Number);

/** GitHub App installation tokens, minted with the App's private key (SPEC §1). */
const githubAppAuth = z.strictObject({
  githubApp: z.strictObject({
    // GitHub also accepts the App's client ID (Iv1.…) as the JWT issuer.
    appId: z.union([z.number().int().positive(), z.string().min(1)]).transform(String),
    installationId: numericId,
    privateKeyFile: z.string().min(1),
  }),
});

export const DEFAULT_EXCLUDE = ['\\.sig$', '\\.att$', '\\.sbom$'];
export const DEFAULT_INTERVAL = '5m';

export const ImageConfig = z.strictObject({
  name,
  repository: z
    .string()
    .min(1)
    .refine((r) => !/^[a-z]+:\/\//i.test(r), { message: 'expected a repository without a scheme (ghcr.io/acme/app)' })
    .refine((r) => !/[@]/.test(r) && !/:[^/]*$/.test(r.replace(/^[^/]+\//, '')), {
      message: 'expected a repository without a tag or digest',
    }),
  interval: duration.prefault(DEFAULT_INTERVAL),
  exclude: z.array(regexSource).default(DEFAULT_EXCLUDE),
});
export type ImageConfig = z.output<typeof ImageConfig>;

const order = z.enum(['asc', 'desc']);

export const PolicyConfig = z
  .strictObject({
    name,
    namespace: name.optional(),
    image: name,
    semver: z.string().min(1).optional(),
    alphabetical: order.optional(),
    numerical: order.optional(),
    filter: z
      .strictObject({
        pattern: regexSource,
        extract: z.string().min(1).optional(),
      })
      .optional(),
    digest: z.boolean().default(false),
    verify: z.strictObject({ cosign: z.strictObject({ publicKeyFile: z.string().min(1) }) }).optional(),
    // SPEC §2 promotion: candidates are only what the `from` automation committed and kept for `soak`.
    promotion: z.strictObject({ from: name, soak: duration }).optional(),
  })
  .refine((p) => [p.semver, p.alphabetical, p.numerical].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of semver, alphabetical or numerical',
  });
export type PolicyConfig = z.output<typeof PolicyConfig>;

const GIT_URL_FORMS = 'expected an http(s):// URL, ssh://user@host[:port]/path or user@host:path';

export const GitConfig = z
  .strictObject({
    url: z
      .string()
      // The pattern is for editors (JSON Schema); the refine is the exact check.
      .regex(/^(https?:\/\/|ssh:\/\/|[^@/:\s]+@[^@/:\s]+:)/, { message: GIT_URL_FORMS, abort: true })
      .refine((url) => /^https?:\/\//.test(url) || parseSshRemote(url) !== undefined, { message: GIT_URL_FORMS }),
    branch: z.string().min(1).default('main'),
    pushBranch: z.string().min(1).optional(),
    auth: z.union([basicAuth, sshAuth, githubAppAuth]).optional(),
    author: z
      .strictObject({ name: z.string().min(1), email: z.string().min(1) })
      .default({ name: 'tagpilot', email: 'tagpilot@localhost' }),
    signingKeyFile: z.string().min(1).optional(),
  })
  .superRefine((git, ctx) => {
    const ssh = isSshUrl(git.url);
    if (ssh && !(git.auth && 'sshKeyFile' in git.auth)) {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: 'an SSH url needs auth: { sshKeyFile, knownHostsFile }' });
    } else if (!ssh && git.auth && 'sshKeyFile' in git.auth) {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: 'sshKeyFile and knownHostsFile need an ssh:// or user@host:path url' });
    }
  });
export type GitConfig = z.output<typeof GitConfig>;

export const AutomationConfig = z.strictObject({
  name,
  git: GitConfig,
  paths: z
    .array(
      z
        .string()
        .min(1)
        .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), {
          message: 'expected a path inside the repository (no leading "/", no "..")',
        }),
    )
    .default(['.']),
  policies: z.array(z.string().regex(/^(?:[a-z0-9][a-z0-9._-]*:)?[a-z0-9][a-z0-9._-]*$/, 'expected a policy NAME or NS:NAME')).optional(),
  update: z.enum(['markers', 'auto']).default('markers'),
  commitMessage: z.string().min(1).optional(),
  interval: duration.prefault('10m'),
  pullRequest: z
    // tokenEnv may be left out with provider github and git.auth.githubApp: the installation token serves.
    .strictObject({ provider: z.enum(['gitlab', 'github']), tokenEnv: z.string().min(1).optional() })
    .optional(),
});
export type AutomationConfig = z.output<typeof AutomationConfig>;

export const RegistryConfig = z.strictObject({
  host: z.string().min(1),
  insecure: z.boolean().default(false),
  caFile: z.string().min(1).optional(),
  auth: z.union([basicAuth, dockerConfigAuth, cloudAuth]).optional(),
  concurrency: z.number().int().min(1).max(256).default(4),
});
export type RegistryConfig = z.output<typeof RegistryConfig>;

export const WEBHOOK_TYPES = ['dockerhub', 'github', 'gitlab', 'harbor', 'quay', 'acr', 'distribution', 'generic'] as const;

export const WebhookConfig = z
  .strictObject({
    name,
    type: z.enum(WEBHOOK_TYPES),
    secret: z.string().min(1).optional(),
    secretEnv: z.string().min(1).optional(),
    secretFile: z.string().min(1).optional(),
  })
  .refine((w) => [w.secret, w.secretEnv, w.secretFile].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of secret, secretEnv or secretFile',
  });
export type WebhookConfig = z.output<typeof WebhookConfig>;

export const NOTIFICATION_TYPES = ['slack', 'msteams', 'discord', 'webhook'] as const;
export const NOTIFICATION_EVENTS = ['commit', 'failure', 'recovered', 'held', 'promotion-waiting'] as const;

export const NotificationConfig = z
  .strictObject({
    name,
    type: z.enum(NOTIFICATION_TYPES),
    url: z.string().min(1).optional(),
    urlEnv: z.string().min(1).optional(),
    urlFile: z.string().min(1).optional(),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).default([...NOTIFICATION_EVENTS]),
    secret: z.string().min(1).optional(),
    secretEnv: z.string().min(1).optional(),
    secretFile: z.string().min(1).optional(),
    automations: z.array(name).optional(),
  })
  .refine((n) => [n.url, n.urlEnv, n.urlFile].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of url, urlEnv or urlFile',
  })
  .refine((n) => [n.secret, n.secretEnv, n.secretFile].filter((v) => v !== undefined).length <= 1, {
    message: 'expected at most one of secret, secretEnv or secretFile',
  })
  .refine((n) => n.type === 'webhook' || [n.secret, n.secretEnv, n.secretFile].every((v) => v === undefined), {
    message: 'secret, secretEnv and secretFile sign webhook notifications only; remove them (slack, msteams and discord URLs carry their own secret)',
  });
export type NotificationConfig = z.output<typeof NotificationConfig>;

export const ServerConfig = z.strictObject({
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(8080),
  apiToken: z.string().min(1).optional(),
});
export type ServerConfig = z.output<typeof ServerConfig>;

export const QueueConfig = z.strictObject({
  redisUrl: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
});
export type QueueConfig = z.output<typeof QueueConfig>;

export const Config = z.strictObject({
  images: z.array(ImageConfig).default([]),
  policies: z.array(PolicyConfig).default([]),
  automations: z.array(AutomationConfig).default([]),
  registries: z.array(RegistryConfig).default([]),
  webhooks: z.array(WebhookConfig).default([]),
  notifications: z.array(NotificationConfig).default([]),
  server: ServerConfig.prefault({}),
  queue: QueueConfig.prefault({}),
  stateDir: z.string().min(1).default('.tagpilot'),
});
export type Config = z.output<typeof Config>;
