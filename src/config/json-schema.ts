// `tagpilot schema`: the config's JSON Schema, derived from the zod schema the loader uses, so an
// editor validates and completes tagpilot.yaml the way `tagpilot check` reads it. It describes the
// input side: what a person writes ("5m"), not what the loader hands on (300000 ms).
import * as z from '../zod.js';
import { Config } from './schema.js';

/** The draft editors support best (VS Code's JSON service, yaml-language-server). */
const TARGET = 'draft-07';

/** What a duration string may look like; mirrors parseDuration (duration.ts). */
const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$';

/**
 * Refinements of schema.ts that JSON Schema cannot see (a zod `refine` is an opaque function),
 * restated so editors flag them too. An object that has every key of a group must set exactly one;
 * one that has the keys of several groups gets the last (notifications: the url group, as its
 * secret is optional). test/ship/json-schema.test.ts checks each group against the zod schema.
 */
const EXACTLY_ONE_OF: readonly (readonly string[])[] = [
  ['semver', 'alphabetical', 'numerical'],
  ['password', 'passwordEnv', 'passwordFile'],
  ['secret', 'secretEnv', 'secretFile'],
  ['url', 'urlEnv', 'urlFile'],
];

/**
 * One line per key for editor hovers, keyed like docs/configuration.md (`automations[].git.url`).
 * Kept here until schema.ts carries them as `.meta({ description })`; the tests fail on a key
 * without a line and on a line without a key.
 */
const DESCRIPTIONS: Record<string, string> = {
  images: 'Image repositories to watch (Flux: ImageRepository).',
  'images[].name': 'Id of this image, referenced by policies[].image. [a-z0-9][a-z0-9._-]*, unique.',
  'images[].repository': 'Repository without tag or scheme, e.g. ghcr.io/acme/app; `nginx` means docker.io/library/nginx.',
  'images[].interval': 'Poll period (ms/s/m/h, e.g. 5m); 0 means webhooks only.',
  'images[].exclude': 'Regexes of tags to ignore; a list given replaces the default.',
  policies: 'How to pick the newest allowed tag of an image (Flux: ImagePolicy).',
  'policies[].name': 'Id of this policy, used in markers: # {"$imagepolicy": "NAME"}; unique per namespace.',
  'policies[].namespace': 'Answer only Flux markers of this namespace ("NS:NAME"); absent: any namespace.',
  'policies[].image': 'The images[].name this policy picks from.',
  'policies[].semver': 'npm or Masterminds semver range, e.g. ">=1.0.0 <2.0.0" or ">=1.0.0, <2.0.0"; exactly one of semver, alphabetical, numerical.',
  'policies[].alphabetical': 'Byte-wise order: asc picks the greatest tag, desc the least.',
  'policies[].numerical': 'Numeric order: asc picks the greatest number, desc the least.',
  'policies[].filter': 'Only tags matching pattern are candidates; extract chooses what is ranked.',
  'policies[].filter.pattern': 'JavaScript regex, unanchored; Go spellings such as (?P<name>…) work too.',
  'policies[].filter.extract': 'Template of the ranked value: $1, $name or ${name}; the original tag is written.',
  'policies[].digest': 'Write tag@sha256:<digest> instead of the tag alone.',
  'policies[].verify': 'Only tags whose digest carries a valid signature are candidates.',
  'policies[].verify.cosign': 'cosign signature: the sha256-<hex>.sig tag, or an OCI 1.1 referrer holding a Sigstore bundle.',
  'policies[].verify.cosign.publicKeyFile': 'PEM public key the signature must verify with (cosign.pub: ECDSA P-256; RSA and Ed25519 too).',
  'policies[].promotion': 'Candidates are only the tags another automation committed and kept for a while (environments).',
  'policies[].promotion.from': 'The automation whose branch history is the source: its commits of this image are the candidates.',
  'policies[].promotion.soak': 'How long a tag must have stayed on the source branch, unreverted (0 = as soon as committed).',
  automations: 'Git repositories to update (Flux: ImageUpdateAutomation).',
  'automations[].name': 'Id of this automation; named in commit trailers and the API.',
  'automations[].git': 'Where to commit.',
  'automations[].git.url': 'http(s):// URL of the repository, or ssh://user@host[:port]/path or user@host:path.',
  'automations[].git.branch': 'Branch checked out, and pushed to unless pushBranch is set.',
  'automations[].git.pushBranch': 'Push here for review instead of to branch; rebuilt from branch each run.',
  'automations[].git.auth': 'HTTP basic auth (username and one of password, passwordEnv, passwordFile), { githubApp }, or SSH { sshKeyFile, knownHostsFile }.',
  'automations[].git.auth.username': 'User name (for token auth often oauth2, x-access-token or any non-empty string).',
  'automations[].git.auth.password': 'Password or token, literally (prefer passwordEnv or passwordFile).',
  'automations[].git.auth.passwordEnv': 'Environment variable holding the password or token.',
  'automations[].git.auth.passwordFile': 'File holding the password or token (a mounted Secret).',
  'automations[].git.auth.sshKeyFile': 'SSH: private key to log in with (OpenSSH or PEM; ed25519, RSA, ECDSA).',
  'automations[].git.auth.knownHostsFile': 'SSH: known_hosts file; a server whose host key it does not list is refused.',
  'automations[].git.auth.sshKeyPassphraseEnv': 'SSH: environment variable holding the passphrase of an encrypted sshKeyFile.',
  'automations[].git.auth.githubApp': 'A GitHub App installation: its tokens clone, push and open pull requests.',
  'automations[].git.auth.githubApp.appId': "The App's ID (or client ID).",
  'automations[].git.auth.githubApp.installationId': "The installation's ID (in the URL of the installation's settings page).",
  'automations[].git.auth.githubApp.privateKeyFile': "The App's private key (.pem), e.g. a mounted Secret.",
  'automations[].git.author': 'Commit author.',
  'automations[].git.author.name': 'Author name; no <, > or line break (git cannot record them).',
  'automations[].git.author.email': 'Author email; no <, > or line break.',
  'automations[].git.signingKeyFile': 'Armored OpenPGP private key, or SSH private key (SSH signatures), to sign commits with.',
  'automations[].paths': 'Files or folders inside the repository to update.',
  'automations[].policies': 'Policies to apply, as NAME or NS:NAME; default every policy.',
  'automations[].update': 'markers: only fields marked # {"$imagepolicy": ...}; auto: also unmarked image fields.',
  'automations[].commitMessage': 'Handlebars-style template with automation, changes[] and images[].',
  'automations[].interval': 'Safety-net re-run period; the automation also runs as soon as a pick changes.',
  'automations[].pullRequest': 'With git.pushBranch: open or refresh a pull/merge request.',
  'automations[].pullRequest.provider': 'gitlab or github.',
  'automations[].pullRequest.tokenEnv': 'Environment variable holding the API token; optional for github with git.auth.githubApp.',
  registries: 'Settings per registry host.',
  'registries[].host': 'Registry host[:port], e.g. registry.example.com:5000.',
  'registries[].insecure': 'true: plain HTTP.',
  'registries[].caFile': 'PEM CA bundle to trust for this host.',
  'registries[].auth': 'Basic auth (username + one of password, passwordEnv, passwordFile), { dockerConfig } or { provider }.',
  'registries[].auth.username': 'User name.',
  'registries[].auth.password': 'Password or token, literally (prefer passwordEnv or passwordFile).',
  'registries[].auth.passwordEnv': 'Environment variable holding the password or token.',
  'registries[].auth.passwordFile': 'File holding the password or token.',
  'registries[].auth.dockerConfig': 'Path of a Docker config.json (kubernetes.io/dockerconfigjson Secret) to take credentials from.',
  'registries[].auth.provider': 'aws, gcp or azure: credentials minted from the cloud workload identity (ECR, Artifact Registry, ACR).',
  'registries[].concurrency': 'Requests in flight to this host.',
  webhooks: 'Registry push notifications, served at POST /hooks/<name>.',
  'webhooks[].name': 'Id; the endpoint is /hooks/<name>.',
  'webhooks[].type': 'Payload and authentication format of the sender.',
  'webhooks[].secret': 'Shared secret, literally (prefer secretEnv or secretFile).',
  'webhooks[].secretEnv': 'Environment variable holding the shared secret.',
  'webhooks[].secretFile': 'File holding the shared secret.',
  notifications: 'Where to tell people what tagpilot did: chat webhooks or a JSON POST.',
  'notifications[].name': 'Id of this notification target; named in status, metrics and logs.',
  'notifications[].type': 'slack, msteams, discord, or webhook (JSON POST, schema in docs/notifications.md).',
  'notifications[].url': 'Endpoint URL, literally (prefer urlEnv or urlFile: chat webhook URLs are secrets).',
  'notifications[].urlEnv': 'Environment variable holding the endpoint URL.',
  'notifications[].urlFile': 'File holding the endpoint URL.',
  'notifications[].events': 'Events to send: commit, failure, recovered, held, promotion-waiting; default all.',
  'notifications[].secret': 'webhook type: HMAC-SHA256 key for X-Tagpilot-Signature, literally (prefer secretEnv or secretFile).',
  'notifications[].secretEnv': 'webhook type: environment variable holding the HMAC key.',
  'notifications[].secretFile': 'webhook type: file holding the HMAC key.',
  'notifications[].automations': 'Only events of these automations (image failures are sent to every target); default all.',
  server: 'HTTP server of `tagpilot serve`.',
  'server.host': 'Address to listen on.',
  'server.port': 'Port to listen on.',
  'server.apiToken': 'Bearer token required by POST /api/v1/...; usually ${TAGPILOT_API_TOKEN}.',
  queue: 'Where jobs wait; absent redisUrl means the in-process queue.',
  'queue.redisUrl': 'redis:// or rediss:// URL; lets several replicas share the work.',
  stateDir: 'Folder for clones and caches; put it on a volume in containers.',
};

/** The config's JSON Schema (draft-07), input side, with defaults and one-line descriptions. */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(Config, { io: 'input', target: TARGET, override: decorate }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  const schema: Record<string, unknown> = {
    $schema,
    title: 'tagpilot config',
    description: 'tagpilot.yaml: images to watch, policies to pick tags, automations to commit them. Reference: docs/configuration.md',
    ...rest,
  };
  describeKeys(schema);
  return schema;
}

/** The schema as `tagpilot schema` prints it and docs/tagpilot.schema.json stores it. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

type OverrideContext = { zodSchema: z.core.$ZodTypes; jsonSchema: Record<string, unknown> };

function decorate({ zodSchema, jsonSchema }: OverrideContext): void {
  const def = zodSchema._zod.def;
  if (def.type === 'pipe' && isDuration(zodSchema)) {
    jsonSchema.anyOf = [
      { type: 'number', const: 0 },
      { type: 'string', pattern: DURATION_PATTERN },
    ];
  }
  // zod drops every default of a schema with a transform inside, since in general it is an
  // output value; a default that is also valid input unchanged (`images: []`) is still true.
  if (def.type === 'default' && !('default' in jsonSchema)) {
    const value: unknown = def.defaultValue;
    const parsed = z.safeParse(def.innerType, value);
    if (parsed.success && JSON.stringify(parsed.data) === JSON.stringify(value)) jsonSchema.default = value;
  }
  const properties = jsonSchema.properties as Record<string, unknown> | undefined;
  if (jsonSchema.type === 'object' && properties) {
    for (const group of EXACTLY_ONE_OF) {
      if (group.every((key) => key in properties)) jsonSchema.oneOf = group.map((key) => ({ required: [key] }));
    }
  }
}

/** A duration is the one pipe that turns "90s" into 90000 and refuses words. */
function isDuration(schema: z.core.$ZodType): boolean {
  const probe = z.safeParse(schema, '90s');
  return probe.success && probe.data === 90_000 && !z.safeParse(schema, 'soon').success;
}

/** Adds `description` to every property that has a line in DESCRIPTIONS. */
function describeKeys(schema: Record<string, unknown>): void {
  forEachKey(schema, (path, node) => {
    const description = DESCRIPTIONS[path];
    if (description !== undefined) node.description = description;
  });
}

/** Every key path the schema allows (`images[].name`), for the docs and description checks. */
export function configKeyPaths(schema: Record<string, unknown> = configJsonSchema()): string[] {
  const paths = new Set<string>();
  forEachKey(schema, (path) => paths.add(path));
  return [...paths].sort();
}

/** Keys that have a description line; exported for the test that keeps both lists equal. */
export function describedKeyPaths(): string[] {
  return Object.keys(DESCRIPTIONS).sort();
}

/** Visits every property, through objects, array items (`[]`) and anyOf branches. */
function forEachKey(node: unknown, visit: (path: string, node: Record<string, unknown>) => void, path = ''): void {
  if (!node || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [key, child] of Object.entries(properties)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    visit(childPath, child);
    forEachKey(child, visit, childPath);
  }
  if (schema.items) forEachKey(schema.items, visit, `${path}[]`);
  for (const branch of (schema.anyOf ?? []) as unknown[]) forEachKey(branch, visit, path);
}
