// GitLab's merge requests API: GET/POST /api/v4/projects/:id/merge_requests, PUT …/merge_requests/:iid.
// :id is the URL-encoded project path. https://docs.gitlab.com/api/merge_requests/
import { HTTPError, type Got } from 'got';
import type { PullRequestOutcome, PullRequestProvider, PullRequestSpec } from './pull-request.js';

interface MergeRequest {
  iid: number;
  title: string;
  description: string | null;
  web_url: string;
}

export const gitlabMergeRequests: PullRequestProvider = {
  apiUrlEnv: 'TAGPILOT_GITLAB_API_URL',
  defaultApiUrl: (gitUrl) => `${gitUrl.origin}/api/v4`,
  // Bearer works for personal, project, group and OAuth tokens alike.
  authHeaders: (token) => ({ authorization: `Bearer ${token}` }),
  async upsert(api, spec, project) {
    const requests = `projects/${encodeURIComponent(project)}/merge_requests`;
    const find = async (): Promise<MergeRequest | undefined> => {
      const searchParams = { state: 'opened', source_branch: spec.sourceBranch, target_branch: spec.targetBranch };
      return (await api.get(requests, { searchParams }).json<MergeRequest[]>())[0];
    };
    const existing = await find();
    if (existing) return update(api, requests, existing, spec);
    try {
      const json = { source_branch: spec.sourceBranch, target_branch: spec.targetBranch, title: spec.title, description: spec.body };
      const created = await api.post(requests, { json }).json<MergeRequest>();
      return { action: 'created', number: created.iid, url: created.web_url };
    } catch (err) {
      // 409 "Another open merge request already exists for this source branch".
      const raced = err instanceof HTTPError && err.response.statusCode === 409 ? await find() : undefined;
      if (!raced) throw err;
      return update(api, requests, raced, spec);
    }
  },
  async listDeclined(api, spec, project) {
    const requests = `projects/${encodeURIComponent(project)}/merge_requests`;
    // GitLab keeps merged apart from closed: `closed` is exactly "closed without merging".
    const searchParams = { state: 'closed', source_branch: spec.sourceBranch, target_branch: spec.targetBranch, order_by: 'created_at', sort: 'desc', per_page: 100 };
    const closed = await api.get(requests, { searchParams }).json<MergeRequest[]>();
    return closed.map((r) => ({ number: r.iid, url: r.web_url, title: r.title, body: r.description ?? '' }));
  },
};

async function update(api: Got, requests: string, request: MergeRequest, spec: PullRequestSpec): Promise<PullRequestOutcome> {
  if (request.title === spec.title && (request.description ?? '') === spec.body) {
    return { action: 'unchanged', number: request.iid, url: request.web_url };
  }
  const updated = await api.put(`${requests}/${request.iid}`, { json: { title: spec.title, description: spec.body } }).json<MergeRequest>();
  return { action: 'updated', number: updated.iid, url: updated.web_url };
}
