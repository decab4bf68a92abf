// CNCF Distribution (registry:2/3) notifications, sent with the endpoint's configured
// `headers: { Authorization: [Bearer <secret>] }`. Several events per envelope; only tagged manifest
// pushes count. Shape: https://distribution.github.io/distribution/about/notifications/
import { manifestPushes } from '../registry-envelope.js';
import { verifyAuthorization } from '../webhook-auth.js';
import type { WebhookSource } from '../webhook-source.js';

/** Distribution: `Authorization` equal to the secret; repository is `request.host/target.repository`. */
export const distributionSource: WebhookSource = {
  id: 'distribution',
  verify: (request, secret) => verifyAuthorization(request, secret),
  parse: (body) => manifestPushes(body, 'distribution'),
};
