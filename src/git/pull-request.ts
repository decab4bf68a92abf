// Review flow (SPEC §1 pullRequest): one open pull request (GitHub) or merge request (GitLab) per
// pushBranch, opened on the first push and retitled when the change list moves; never a duplicate.
// Their REST APIs are called directly with got. The API lives at the git URL's origin (GitLab:
// <origin>/api/v4; GitHub: api.github.com, or <origin>/api/v3 for Enterprise Server); the config has
// no field for another place, so TAGPILOT_GITLAB_API_URL / TAGPILOT_GITHUB_API_URL override it
// (a GitLab under a path prefix, a proxy, tests).
import got, { HTTPError, RequestError, type Got } from 'got';
import { InputError, NotFoundError, TransientError, UnauthorizedError } from '../errors.js';
import { classifyConnectionError, classifyStatus, statusError } from '../failure-kind.js';
import { githubPullRequests } from './github-pull-requests.js';
import { gitlabMergeRequests } from './gitlab-merge-requests.js';

export type PullRequestProviderId = 'gitlab' | 'github';

/** What the review request should say and where it goes. */
export interface PullRequestSpec {
  /** The automation's git.url: names the project and, by default, the API host. */
  gitUrl: string;
  sourceBranch: string;
  targetBranch: string;
  title: string;
  body: string;
}

/** What happened to the review request. */
export interface PullRequestOutcome {
  action: 'created' | 'updated' | 'unchanged';
  /** GitHub's number, GitLab's iid. */
  number: number;
  url: string;
}

/** One hosting service's API: where it is and how to upsert through it. */
export interface PullRequestProvider {
  /** The environment variable that overrides the API base URL. */
  apiUrlEnv: string;
  /** The API base for a repository at `gitUrl` when no override is set. */
  defaultApiUrl(gitUrl: URL): string;
  /** Headers carrying the token. */
  authHeaders(token: string): Record<string, string>;
  upsert(api: Got, spec: PullRequestSpec, project: string): Promise<PullRequestOutcome>;
}

export const PULL_REQUEST_PROVIDERS: Record<PullRequestProviderId, PullRequestProvider> = {
  github: githubPullRequests,
  gitlab: gitlabMergeRequests,
};

/** Opens the pull/merge request for `spec.sourceBranch`, or brings the open one's title and body up to date. */
export async function upsertPullRequest(
  providerId: PullRequestProviderId,
  spec: PullRequestSpec,
  token: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<PullRequestOutcome> {
  const provider = PULL_REQUEST_PROVIDERS[providerId];
  const gitUrl = new URL(spec.gitUrl);
  const apiUrl = (options.env ?? process.env)[provider.apiUrlEnv] || provider.defaultApiUrl(gitUrl);
  const project = gitUrl.pathname.replace(/^\/+/, '').replace(/\.git$/, '').replace(/\/+$/, '');
  const api = got.extend({
    prefixUrl: apiUrl,
    headers: { 'user-agent': 'tagpilot', ...provider.authHeaders(token) },
    responseType: 'json',
    timeout: { request: options.timeoutMs ?? 30_000 },
    // Nothing is retried here: the write job is, by the queue, and the providers look before they create.
    retry: { limit: 0 },
  });
  try {
    return await provider.upsert(api, spec, project);
  } catch (err) {
    throw apiError(err, apiUrl, providerId);
  }
}

function apiError(err: unknown, apiUrl: string, provider: string): unknown {
  const where = `${provider} API at ${new URL(apiUrl).origin}`;
  if (err instanceof HTTPError) {
    const status = err.response.statusCode;
    const said = describeBody(err.response.body);
    if (status === 401 || status === 403) return new UnauthorizedError(`${where} refused the pullRequest token (HTTP ${status})${said}`, { cause: err });
    if (status === 404) return new NotFoundError(`${where}: project not found, or the token cannot see it (HTTP 404)${said}`, { cause: err });
    return statusError(status, `${where} ${classifyStatus(status) === 'permanent' ? 'rejected the request' : 'answered'} (HTTP ${status})${said}`, { cause: err });
  }
  if (err instanceof RequestError) {
    const message = `${where}: ${err.code ?? err.message}`;
    return classifyConnectionError(err.code) === 'transient' ? new TransientError(message, { cause: err }) : new InputError(message, { cause: err });
  }
  return err;
}

function describeBody(body: unknown): string {
  if (body && typeof body === 'object') {
    const { message, errors } = body as { message?: unknown; errors?: unknown };
    const text = [message, errors].filter((v) => v !== undefined).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    if (text.length > 0) return `: ${text.join(' ').slice(0, 300)}`;
  }
  return '';
}
