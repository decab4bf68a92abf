// The one config schema (SPEC §1). Types derive from it; the loader adds file positions to its errors.
import { z } from 'zod';
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

/** A regex given as a string; compiled once here so a bad one is a config error. */
const regexSource = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
  }
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

const dockerConfigAuth = z.strictObject({ dockerConfig: z.string().min(1) });

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
    // SPEC §2 promotion: candidates are only what the `from` automation committed and kept for `soak`.
    promotion: z.strictObject({ from: name, soak: duration }).optional(),
  })
  .refine((p) => [p.semver, p.alphabetical, p.numerical].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of semver, alphabetical or numerical',
  });
export type PolicyConfig = z.output<typeof PolicyConfig>;

export const GitConfig = z.strictObject({
  url: z.string().regex(/^https?:\/\//, 'expected an http(s):// URL'),
  branch: z.string().min(1).default('main'),
  pushBranch: z.string().min(1).optional(),
  auth: basicAuth.optional(),
  author: z
    .strictObject({ name: z.string().min(1), email: z.string().min(1) })
    .default({ name: 'tagpilot', email: 'tagpilot@localhost' }),
  signingKeyFile: z.string().min(1).optional(),
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
  policies: z.array(name).optional(),
  update: z.enum(['markers', 'auto']).default('markers'),
  commitMessage: z.string().min(1).optional(),
  interval: duration.prefault('10m'),
  pullRequest: z
    .strictObject({ provider: z.enum(['gitlab', 'github']), tokenEnv: z.string().min(1) })
    .optional(),
});
export type AutomationConfig = z.output<typeof AutomationConfig>;

export const RegistryConfig = z.strictObject({
  host: z.string().min(1),
  insecure: z.boolean().default(false),
  caFile: z.string().min(1).optional(),
  auth: z.union([basicAuth, dockerConfigAuth]).optional(),
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
  server: ServerConfig.prefault({}),
  queue: QueueConfig.prefault({}),
  stateDir: z.string().min(1).default('.tagpilot'),
});
export type Config = z.output<typeof Config>;
