// Amazon ECR: GetAuthorizationToken through the AWS SDK's default credential chain gives
// base64("AWS:<password>"), valid for 12 hours on every registry the identity may read in that region.
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html
import type { ECRClient } from '@aws-sdk/client-ecr';
import { InputError } from '../../errors.js';
import type { CloudCredentialProvider } from './cloud-provider.js';

// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]
const ECR_HOST_RE = /^\d{12}\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;
/** ECR answers tags/list with n > 1000 by refusing the request. */
export const ECR_MAX_PAGE_SIZE = 1000;
const clients = new Map<string, ECRClient>();

/** The region an ECR host names, or undefined for another host (then AWS_REGION or the profile says). */
export function ecrRegion(host: string): string | undefined {
  return ECR_HOST_RE.exec(host.replace(/:\d+$/, ''))?.[1];
}

export const awsEcr: CloudCredentialProvider = {
  sources:
    'the AWS SDK default chain: environment (AWS_ACCESS_KEY_ID), web identity / IRSA (AWS_WEB_IDENTITY_TOKEN_FILE), ' +
    'shared config and SSO (AWS_PROFILE, ~/.aws), EKS Pod Identity / ECS (AWS_CONTAINER_CREDENTIALS_FULL_URI), EC2 instance metadata',
  async obtain({ host }) {
    const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
    const region = ecrRegion(host);
    const key = region ?? '';
    let client = clients.get(key);
    if (!client) {
      // One attempt: the queue's job retry is the one retry layer. The client keeps the chain's credentials.
      client = new ECRClient({ ...(region ? { region } : {}), maxAttempts: 1 });
      clients.set(key, client);
    }
    let answer;
    try {
      answer = await client.send(new GetAuthorizationTokenCommand({}));
    } catch (err) {
      if (/region is missing/i.test((err as Error).message)) {
        throw new InputError(
          `registries ${host}: aws credentials: no region; name the registry by its ECR host (<account>.dkr.ecr.<region>.amazonaws.com) or set AWS_REGION`,
        );
      }
      throw err;
    }
    const data = answer.authorizationData?.[0];
    const decoded = data?.authorizationToken ? Buffer.from(data.authorizationToken, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new InputError(`registries ${host}: aws credentials: ECR sent no authorization token`);
    return {
      credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
      expiresAt: data?.expiresAt?.getTime() ?? Date.now() + 12 * 3600_000,
    };
  },
  isUnavailable: (err) => (err as { name?: unknown }).name === 'CredentialsProviderError',
  statusOf: (err) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
};
