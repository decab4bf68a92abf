// GitLab has no project or group webhook for container registry events (gitlab-org/gitlab#15385,
// #32950 are open requests). What a GitLab registry does send is the Distribution notification
// envelope: GitLab's container registry is a Distribution fork, and self-managed instances configure
// endpoints under `registry['notifications']` in gitlab.rb (the same feed GitLab's own
// /api/v4/container_registry_event/events consumes). There `target.repository` is the project path
// (`group/project` or `group/project/image`) and `request.host` the registry host. The admin adds
// `headers: { "X-Gitlab-Token" => ["<secret>"] }` to that endpoint, which is what we check.
import { manifestPushes } from '../registry-envelope.js';
import { verifyHeaderToken } from '../webhook-auth.js';
import type { WebhookSource } from '../webhook-source.js';

/** GitLab container registry notifications: `X-Gitlab-Token: <secret>`, Distribution envelope body. */
export const gitLabSource: WebhookSource = {
  id: 'gitlab',
  verify: (request, secret) => verifyHeaderToken(request, 'x-gitlab-token', secret),
  parse: (body) => manifestPushes(body, 'gitlab'),
};
