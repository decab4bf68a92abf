// GitHub's pulls API: GET/POST /repos/:owner/:repo/pulls, PATCH /repos/:owner/:repo/pulls/:number.
// https://docs.github.com/en/rest/pulls/pulls
import { HTTPError, type Got } from 'got';
import { InputError } from '../errors.js';
import type { PullRequestOutcome, PullRequestProvider, PullRequestSpec } from './pull-request.js';

interface Pull {
  number: number;
  title: string;
  body: string | null;
  html_url: string;
  merged_at?: string | null;
}

export const githubPullRequests: PullRequestProvider = {
  apiUrlEnv: 'TAGPILOT_GITHUB_API_URL',
  defaultApiUrl: (gitUrl) => (gitUrl.hostname === 'github.com' ? 'https://api.github.com' : `${gitUrl.origin}/api/v3`),
  authHeaders: (token) => ({
    authorization: `Bearer ${token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
  }),
  async upsert(api, spec, project) {
    const [owner, repo] = project.split('/');
    if (!owner || !repo) throw new InputError(`git.url ${spec.gitUrl}: expected https://host/OWNER/REPO(.git) for a GitHub pull request`);
    const pulls = `repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/pulls`;
    const find = async (): Promise<Pull | undefined> => {
      const searchParams = { state: 'open', head: `${owner}:${spec.sourceBranch}`, base: spec.targetBranch, per_page: 100 };
      return (await api.get(pulls, { searchParams }).json<Pull[]>())[0];
    };
    const existing = await find();
    if (existing) return update(api, pulls, existing, spec);
    try {
      const created = await api.post(pulls, { json: { title: spec.title, body: spec.body, head: spec.sourceBranch, base: spec.targetBranch } }).json<Pull>();
      return { action: 'created', number: created.number, url: created.html_url };
    } catch (err) {
      // 422 "A pull request already exists": someone (or our own timed-out try) opened it meanwhile.
      const raced = err instanceof HTTPError && err.response.statusCode === 422 ? await find() : undefined;
      if (!raced) throw err;
      return update(api, pulls, raced, spec);
    }
  },
  async listDeclined(api, spec, project) {
    const [owner, repo] = project.split('/');
    if (!owner || !repo) throw new InputError(`git.url ${spec.gitUrl}: expected https://host/OWNER/REPO(.git) for a GitHub pull request`);
    const pulls = `repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/pulls`;
    // Closed covers merged too; GitHub tells them apart only by merged_at. The newest 100 are enough: a
    // review branch sees one request at a time.
    const searchParams = { state: 'closed', head: `${owner}:${spec.sourceBranch}`, base: spec.targetBranch, sort: 'created', direction: 'desc', per_page: 100 };
    const closed = await api.get(pulls, { searchParams }).json<Pull[]>();
    return closed.filter((p) => !p.merged_at).map((p) => ({ number: p.number, url: p.html_url, title: p.title, body: p.body ?? '' }));
  },
};

async function update(api: Got, pulls: string, pull: Pull, spec: PullRequestSpec): Promise<PullRequestOutcome> {
  if (pull.title === spec.title && (pull.body ?? '') === spec.body) return { action: 'unchanged', number: pull.number, url: pull.html_url };
  const updated = await api.patch(`${pulls}/${pull.number}`, { json: { title: spec.title, body: spec.body } }).json<Pull>();
  return { action: 'updated', number: updated.number, url: updated.html_url };
}
