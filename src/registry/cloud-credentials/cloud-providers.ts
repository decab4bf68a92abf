// The cloud identities registries[].auth.provider can name, keyed by that name (STYLE rule 3).
import type { CloudProviderId } from '../../config/schema.js';
import { awsEcr } from './aws-ecr.js';
import { azureAcr } from './azure-acr.js';
import type { CloudCredentialProvider } from './cloud-provider.js';
import { gcp } from './gcp.js';

export const CLOUD_CREDENTIAL_PROVIDERS: Record<CloudProviderId, CloudCredentialProvider> = {
  aws: awsEcr,
  gcp,
  azure: azureAcr,
};
