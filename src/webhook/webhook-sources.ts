// STYLE rule 3: every webhook source in one table keyed by its config `type`; adding a registry is
// one file under sources/ and one line here, and TypeScript insists every type has a source.
import { acrSource } from './sources/acr-source.js';
import { distributionSource } from './sources/distribution-source.js';
import { dockerHubSource } from './sources/dockerhub-source.js';
import { genericSource } from './sources/generic-source.js';
import { gitHubSource } from './sources/github-source.js';
import { gitLabSource } from './sources/gitlab-source.js';
import { harborSource } from './sources/harbor-source.js';
import { quaySource } from './sources/quay-source.js';
import type { WebhookSource, WebhookType } from './webhook-source.js';

/** The source for each webhook `type` in the config. */
export const webhookSources: Record<WebhookType, WebhookSource> = {
  dockerhub: dockerHubSource,
  github: gitHubSource,
  gitlab: gitLabSource,
  harbor: harborSource,
  quay: quaySource,
  acr: acrSource,
  distribution: distributionSource,
  generic: genericSource,
};
