// The one config schema (SPEC §1). Types derive from it; the loader adds file positions to its errors.
import * as z from '../zod.js';
import { translateGoRegexp } from '../policy/go-regexp.js';
import { isSshUrl, parseSshRemote } from '../git/ssh-remote.js';
import { parseDuration } from './duration.js';

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;

const name = z.string().check(z.regex(NAME_RE, 'expected a name of lowercase letters, digits, ".", "_" or "-", starting with a letter or digit'));

/** A string that is not empty. */
const nonEmpty = () => z.string().check(z.minLength(1));

/** A commit author's name or email: git records neither with `<`, `>` or a line break in it. */
const identPart = () => nonEmpty().check(z.regex(/^[^<>\r\n\0]*$/, { message: 'must not contain <, > or a line break (git cannot record them)' }));

/** An integer above 0. */
const positiveInt = () => z.int().check(z.positive());

const duration = z.pipe(
  z.union([z.literal(0), z.string()]),
  z.transform((value: 0 | string, ctx) => {
    const ms = parseDuration(value);
    if (ms === null) {
      // zod/mini's transform has no addIssue: the issue goes on the payload, as addIssue would put it.
      ctx.issues.push({ code: 'custom', message: `expected a duration like 30s, 5m or 1h30m (or 0), got "${value}"`, input: value });
      return z.NEVER;
    }
    return ms;
  }),
);

/** A regex given as a string (JavaScript, or Go's spelling); checked once here so a bad one is a config error. */
const regexSource = z.string().check(
  z.superRefine((source, ctx) => {
    const translated = translateGoRegexp(source);
    if ('problem' in translated) ctx.addIssue({ code: 'custom', message: translated.problem });
  }),
);

/** `password`, `passwordEnv` or `passwordFile`: at most one; resolved by the loader. */
const secretSource = {
  password: z.optional(z.string()),
  passwordEnv: z.optional(z.string()),
  passwordFile: z.optional(z.string()),
};

const basicAuth = z.strictObject({ username: nonEmpty(), ...secretSource }).check(
  z.refine((a) => [a.password, a.passwordEnv, a.passwordFile].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of password, passwordEnv or passwordFile',
  }),
);

/** Git over SSH: the private key to log in with and the host keys to trust (a host not listed is refused). */
const sshAuth = z.strictObject({
  sshKeyFile: nonEmpty(),
  knownHostsFile: nonEmpty(),
  sshKeyPassphraseEnv: z.optional(nonEmpty()),
});

const dockerConfigAuth = z.strictObject({ dockerConfig: nonEmpty() });

export const CLOUD_PROVIDERS = ['aws', 'gcp', 'azure'] as const;
export type CloudProviderId = (typeof CLOUD_PROVIDERS)[number];
/** Workload identity: the cloud SDK's default credential chain mints the registry password. */
const cloudAuth = z.strictObject({ provider: z.enum(CLOUD_PROVIDERS) });

/** A positive integer, also as the digit string `${VAR}` substitution gives. */
const numericId = z.pipe(z.union([positiveInt(), z.string().check(z.regex(/^[1-9][0-9]*$/, 'expected a positive integer'))]), z.transform(Number));

/** GitHub App installation tokens, minted with the App's private key (SPEC §1). */
const githubAppAuth = z.strictObject({
  githubApp: z.strictObject({
    // GitHub also accepts the App's client ID (Iv1.…) as the JWT issuer.
    appId: z.pipe(z.union([positiveInt(), nonEmpty()]), z.transform(String)),
    installationId: numericId,
    privateKeyFile: nonEmpty(),
  }),
});

export const DEFAULT_EXCLUDE = ['\\.sig$', '\\.att$', '\\.sbom$'];
export const DEFAULT_INTERVAL = '5m';

export const ImageConfig = z.strictObject({
  name,
  repository: nonEmpty().check(
    z.refine((r) => !/^[a-z]+:\/\//i.test(r), { message: 'expected a repository without a scheme (ghcr.io/acme/app)' }),
    z.refine((r) => !/[@]/.test(r) && !/:[^/]*$/.test(r.replace(/^[^/]+\//, '')), {
      message: 'expected a repository without a tag or digest',
    }),
  ),
  interval: z.prefault(duration, DEFAULT_INTERVAL),
  exclude: z._default(z.array(regexSource), DEFAULT_EXCLUDE),
});
export type ImageConfig = z.output<typeof ImageConfig>;

const order = z.enum(['asc', 'desc']);

export const PolicyConfig = z
  .strictObject({
    name,
    namespace: z.optional(name),
    image: name,
    semver: z.optional(nonEmpty()),
    alphabetical: z.optional(order),
    numerical: z.optional(order),
    filter: z.optional(
      z.strictObject({
        pattern: regexSource,
        extract: z.optional(nonEmpty()),
      }),
    ),
    digest: z._default(z.boolean(), false),
    verify: z.optional(z.strictObject({ cosign: z.strictObject({ publicKeyFile: nonEmpty() }) })),
    // SPEC §2 promotion: candidates are only what the `from` automation committed and kept for `soak`.
    promotion: z.optional(z.strictObject({ from: name, soak: duration })),
  })
  .check(
    z.refine((p) => [p.semver, p.alphabetical, p.numerical].filter((v) => v !== undefined).length === 1, {
      message: 'expected exactly one of semver, alphabetical or numerical',
    }),
  );
export type PolicyConfig = z.output<typeof PolicyConfig>;

const GIT_URL_FORMS = 'expected an http(s):// URL, ssh://user@host[:port]/path or user@host:path';

export const GitConfig = z
  .strictObject({
    url: z.string().check(
      // The pattern is for editors (JSON Schema); the refine is the exact check.
      z.regex(/^(https?:\/\/|ssh:\/\/|[^@/:\s]+@[^@/:\s]+:)/, { message: GIT_URL_FORMS, abort: true }),
      z.refine((url) => /^https?:\/\//.test(url) || parseSshRemote(url) !== undefined, { message: GIT_URL_FORMS }),
    ),
    branch: z._default(nonEmpty(), 'main'),
    pushBranch: z.optional(nonEmpty()),
    auth: z.optional(z.union([basicAuth, sshAuth, githubAppAuth])),
    author: z._default(z.strictObject({ name: identPart(), email: identPart() }), { name: 'tagpilot', email: 'tagpilot@localhost' }),
    signingKeyFile: z.optional(nonEmpty()),
  })
  .check(
    z.superRefine((git, ctx) => {
      const ssh = isSshUrl(git.url);
      if (ssh && !(git.auth && 'sshKeyFile' in git.auth)) {
        ctx.addIssue({ code: 'custom', path: ['auth'], message: 'an SSH url needs auth: { sshKeyFile, knownHostsFile }' });
      } else if (!ssh && git.auth && 'sshKeyFile' in git.auth) {
        ctx.addIssue({ code: 'custom', path: ['auth'], message: 'sshKeyFile and knownHostsFile need an ssh:// or user@host:path url' });
      }
    }),
  );
export type GitConfig = z.output<typeof GitConfig>;

export const AutomationConfig = z.strictObject({
  name,
  git: GitConfig,
  paths: z._default(
    z.array(
      nonEmpty().check(
        z.refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), {
          message: 'expected a path inside the repository (no leading "/", no "..")',
        }),
      ),
    ),
    ['.'],
  ),
  policies: z.optional(z.array(z.string().check(z.regex(/^(?:[a-z0-9][a-z0-9._-]*:)?[a-z0-9][a-z0-9._-]*$/, 'expected a policy NAME or NS:NAME')))),
  update: z._default(z.enum(['markers', 'auto']), 'markers'),
  commitMessage: z.optional(nonEmpty()),
  interval: z.prefault(duration, '10m'),
  // tokenEnv may be left out with provider github and git.auth.githubApp: the installation token serves.
  pullRequest: z.optional(z.strictObject({ provider: z.enum(['gitlab', 'github']), tokenEnv: z.optional(nonEmpty()) })),
});
export type AutomationConfig = z.output<typeof AutomationConfig>;

export const RegistryConfig = z.strictObject({
  host: nonEmpty(),
  insecure: z._default(z.boolean(), false),
  caFile: z.optional(nonEmpty()),
  auth: z.optional(z.union([basicAuth, dockerConfigAuth, cloudAuth])),
  concurrency: z._default(z.int().check(z.minimum(1), z.maximum(256)), 4),
});
export type RegistryConfig = z.output<typeof RegistryConfig>;

export const WEBHOOK_TYPES = ['dockerhub', 'github', 'gitlab', 'harbor', 'quay', 'acr', 'distribution', 'generic'] as const;

export const WebhookConfig = z
  .strictObject({
    name,
    type: z.enum(WEBHOOK_TYPES),
    secret: z.optional(nonEmpty()),
    secretEnv: z.optional(nonEmpty()),
    secretFile: z.optional(nonEmpty()),
  })
  .check(
    z.refine((w) => [w.secret, w.secretEnv, w.secretFile].filter((v) => v !== undefined).length === 1, {
      message: 'expected exactly one of secret, secretEnv or secretFile',
    }),
  );
export type WebhookConfig = z.output<typeof WebhookConfig>;

export const NOTIFICATION_TYPES = ['slack', 'msteams', 'discord', 'webhook'] as const;
export const NOTIFICATION_EVENTS = ['commit', 'failure', 'recovered', 'held', 'promotion-waiting'] as const;

export const NotificationConfig = z
  .strictObject({
    name,
    type: z.enum(NOTIFICATION_TYPES),
    url: z.optional(nonEmpty()),
    urlEnv: z.optional(nonEmpty()),
    urlFile: z.optional(nonEmpty()),
    events: z._default(z.array(z.enum(NOTIFICATION_EVENTS)).check(z.minLength(1)), [...NOTIFICATION_EVENTS]),
    secret: z.optional(nonEmpty()),
    secretEnv: z.optional(nonEmpty()),
    secretFile: z.optional(nonEmpty()),
    automations: z.optional(z.array(name)),
  })
  .check(
    z.refine((n) => [n.url, n.urlEnv, n.urlFile].filter((v) => v !== undefined).length === 1, {
      message: 'expected exactly one of url, urlEnv or urlFile',
    }),
    z.refine((n) => [n.secret, n.secretEnv, n.secretFile].filter((v) => v !== undefined).length <= 1, {
      message: 'expected at most one of secret, secretEnv or secretFile',
    }),
    z.refine((n) => n.type === 'webhook' || [n.secret, n.secretEnv, n.secretFile].every((v) => v === undefined), {
      message: 'secret, secretEnv and secretFile sign webhook notifications only; remove them (slack, msteams and discord URLs carry their own secret)',
    }),
  );
export type NotificationConfig = z.output<typeof NotificationConfig>;

export const ServerConfig = z.strictObject({
  host: z._default(nonEmpty(), '0.0.0.0'),
  port: z._default(z.int().check(z.minimum(0), z.maximum(65535)), 8080),
  apiToken: z.optional(nonEmpty()),
});
export type ServerConfig = z.output<typeof ServerConfig>;

export const QueueConfig = z.strictObject({
  redisUrl: z.optional(z.string().check(z.regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL'))),
});
export type QueueConfig = z.output<typeof QueueConfig>;

export const Config = z.strictObject({
  images: z._default(z.array(ImageConfig), []),
  policies: z._default(z.array(PolicyConfig), []),
  automations: z._default(z.array(AutomationConfig), []),
  registries: z._default(z.array(RegistryConfig), []),
  webhooks: z._default(z.array(WebhookConfig), []),
  notifications: z._default(z.array(NotificationConfig), []),
  server: z.prefault(ServerConfig, {}),
  queue: z.prefault(QueueConfig, {}),
  stateDir: z._default(nonEmpty(), '.tagpilot'),
});
export type Config = z.output<typeof Config>;
