// How a cloud SDK's failure is classified and told, and which hosts count as ECR (page size, region).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, TransientError, UnauthorizedError } from '../../src/errors.js';
import { ecrRegion } from '../../src/registry/cloud-credentials/aws-ecr.js';
import { cloudFailure } from '../../src/registry/cloud-credentials/cloud-failure.js';
import { CLOUD_CREDENTIAL_PROVIDERS } from '../../src/registry/cloud-credentials/cloud-providers.js';

/** An error shaped like the SDK's own (name, status fields and codes as each SDK sets them). */
function sdkError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('cloudFailure', () => {
  const cases = [
    { label: 'aws: the chain found nothing', provider: 'aws', err: sdkError('Could not load credentials from any providers', { name: 'CredentialsProviderError' }), type: InputError, code: 'CLOUD_CREDENTIALS_UNAVAILABLE' },
    { label: 'aws: ECR answered 503', provider: 'aws', err: sdkError('Service Unavailable', { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }), type: TransientError, code: 'TRANSIENT' },
    { label: 'aws: ECR throttled us', provider: 'aws', err: sdkError('Rate exceeded', { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }), type: TransientError, code: 'RATE_LIMITED' },
    { label: 'aws: access denied', provider: 'aws', err: sdkError('not authorized to perform ecr:GetAuthorizationToken', { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }), type: InputError, code: 'CLOUD_CREDENTIALS_FAILED' },
    { label: 'aws: signature refused', provider: 'aws', err: sdkError('The security token included in the request is invalid', { $metadata: { httpStatusCode: 403 } }), type: UnauthorizedError, code: 'UNAUTHORIZED' },
    { label: 'aws: connection refused, nested in the cause', provider: 'aws', err: sdkError('connect failed', { cause: sdkError('connect ECONNREFUSED', { code: 'ECONNREFUSED' }) }), type: TransientError, code: 'TRANSIENT' },
    { label: 'gcp: no application default credentials', provider: 'gcp', err: new Error('Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started'), type: InputError, code: 'CLOUD_CREDENTIALS_UNAVAILABLE' },
    { label: 'gcp: metadata server answered 500', provider: 'gcp', err: sdkError('Unsuccessful response status code', { response: { status: 500 } }), type: TransientError, code: 'TRANSIENT' },
    { label: 'azure: every credential unavailable', provider: 'azure', err: sdkError('ChainedTokenCredential authentication failed.\nCredentialUnavailableError: EnvironmentCredential is unavailable.', { name: 'AggregateAuthenticationError' }), type: InputError, code: 'CLOUD_CREDENTIALS_UNAVAILABLE' },
    { label: 'azure: Entra ID answered 502', provider: 'azure', err: sdkError('WorkloadIdentityCredential authentication failed', { name: 'AuthenticationError', statusCode: 502 }), type: TransientError, code: 'TRANSIENT' },
    { label: 'azure: Entra ID refused the client', provider: 'azure', err: sdkError('AADSTS700016: Application not found', { name: 'AuthenticationError', statusCode: 401 }), type: UnauthorizedError, code: 'UNAUTHORIZED' },
  ] as const;
  for (const c of cases) {
    it(c.label, () => {
      const err = cloudFailure(c.provider, CLOUD_CREDENTIAL_PROVIDERS[c.provider], 'registry.example', c.err);
      assert.ok(err instanceof c.type, `${err.constructor.name}: ${err.message}`);
      assert.equal((err as InputError).code, c.code);
      assert.match(err.message, new RegExp(`^registries registry\\.example: ${c.provider} credentials: `));
      assert.ok(!err.message.includes('\n'), 'one line');
    });
  }

  it('names where the chain looked when it found nothing', () => {
    const err = cloudFailure('aws', CLOUD_CREDENTIAL_PROVIDERS.aws, 'r', sdkError('Could not load credentials from any providers', { name: 'CredentialsProviderError' }));
    assert.match(err.message, /tried the AWS SDK default chain: environment \(AWS_ACCESS_KEY_ID\), web identity \/ IRSA/);
  });
});

describe('ecrRegion', () => {
  const hosts = [
    { label: 'a regional ECR host', host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', region: 'eu-west-1' },
    { label: 'a FIPS endpoint', host: '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', region: 'us-gov-west-1' },
    { label: 'China', host: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', region: 'cn-north-1' },
    { label: 'a port is ignored', host: '123456789012.dkr.ecr.ap-southeast-2.amazonaws.com:443', region: 'ap-southeast-2' },
    { label: 'not ECR (a proxy or a test registry)', host: '127.0.0.1:5000', region: undefined },
    { label: 'ECR Public is another service', host: 'public.ecr.aws', region: undefined },
  ];
  for (const h of hosts) it(h.label, () => assert.equal(ecrRegion(h.host), h.region));
});
