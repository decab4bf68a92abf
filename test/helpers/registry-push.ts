// Pushes a tiny image to a registry with nothing but fetch and the distribution API (no Docker here).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** Returns the Authorization header value for a scope like `repository:acme/app:pull,push`, or undefined. */
export type RegistryAuthorizer = (scope: string) => Promise<string | undefined>;

export type ManifestFormat = 'docker' | 'oci';

export interface PushImageOptions {
  /** Goes into the layer and config, so different content gives a different digest; default `${repo}:${tag}`. */
  content?: string;
  /** Docker v2 schema 2 (default) or OCI image manifest. */
  format?: ManifestFormat;
  /** The config's `created` time, for policies that look at build dates; default 2024-01-01T00:00:00Z. */
  created?: string;
  /** Image labels (config.Labels). */
  labels?: Record<string, string>;
}

export interface PushedImage {
  /** The manifest digest the registry reported (Docker-Content-Digest). */
  digest: string;
  mediaType: string;
}

const MEDIA_TYPES = {
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
} as const;

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export async function pushImage(
  baseUrl: string,
  authorize: RegistryAuthorizer,
  repo: string,
  tag: string,
  options: PushImageOptions = {},
): Promise<PushedImage> {
  const types = MEDIA_TYPES[options.format ?? 'docker'];
  const content = options.content ?? `${repo}:${tag}`;
  // The registry does not look inside layers; a gzip of the content is enough to give a real digest.
  const uncompressed = Buffer.from(content, 'utf8');
  const layer = gzipSync(uncompressed);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: options.created ?? '2024-01-01T00:00:00Z',
      config: { Labels: options.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: [sha256Digest(uncompressed)] },
    }),
  );
  const authorization = await authorize(`repository:${repo}:pull,push`);
  const headers = (extra: Record<string, string> = {}): Record<string, string> =>
    authorization ? { authorization, ...extra } : extra;

  const uploadBlob = async (blob: Buffer): Promise<string> => {
    const digest = sha256Digest(blob);
    // Monolithic upload: POST opens a session, PUT with ?digest= sends the bytes and commits.
    const start = await fetch(`${baseUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: headers() });
    await expectStatus(start, 202, `start blob upload to ${repo}`);
    const location = start.headers.get('location');
    if (!location) throw new Error(`registry gave no Location for the upload to ${repo}`);
    const target = new URL(location, baseUrl);
    target.searchParams.set('digest', digest);
    const put = await fetch(target, {
      method: 'PUT',
      headers: headers({ 'content-type': 'application/octet-stream', 'content-length': String(blob.length) }),
      body: blob,
    });
    await expectStatus(put, 201, `upload blob ${digest} to ${repo}`);
    return digest;
  };

  const configDigest = await uploadBlob(config);
  const layerDigest = await uploadBlob(layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: types.manifest,
      config: { mediaType: types.config, size: config.length, digest: configDigest },
      layers: [{ mediaType: types.layer, size: layer.length, digest: layerDigest }],
    }),
  );
  const put = await fetch(`${baseUrl}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: headers({ 'content-type': types.manifest }),
    body: manifest,
  });
  await expectStatus(put, 201, `put manifest ${repo}:${tag}`);
  const digest = put.headers.get('docker-content-digest') ?? sha256Digest(manifest);
  return { digest, mediaType: types.manifest };
}

export async function expectStatus(res: Response, status: number, what: string): Promise<void> {
  if (res.status === status) {
    // Drain the body so keep-alive sockets are reusable.
    await res.arrayBuffer();
    return;
  }
  throw new Error(`${what}: expected HTTP ${status}, got ${res.status}: ${await res.text()}`);
}
