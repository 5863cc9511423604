// A registry that plays the attacker: a tiny HTTP server on 127.0.0.1 (port 0) serving
// whatever manifests and blobs a test hands it, byte for byte, with the digests the test
// chooses (traversal strings included), and counting what clients asked for.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContextLike } from '../helpers/netns.ts';

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface HostileRegistry {
  url: string;
  requests: string[];
  blob(data: Buffer): string;
  /** Serves `body` as `repo:tag` (and by its digest); returns the digest. */
  manifest(repo: string, tag: string, body: Buffer | object): string;
  /** An image whose one layer is `layer` (its digest and size as given, or honest). */
  image(repo: string, tag: string, layer: Buffer, override?: { digest?: string; size?: number }): string;
  /** Answers every /v2 request with a 401 Bearer challenge naming `realm` (undefined: stop). */
  challenge(realm: string | undefined): void;
  /** Custom handler consulted first (return true when it answered). */
  handle(fn: (req: IncomingMessage, res: ServerResponse) => boolean): void;
}

/** Starts the server; it is closed in t.after. */
export async function startHostileRegistry(t: TestContextLike): Promise<HostileRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>();
  const requests: string[] = [];
  let realm: string | undefined;
  let custom: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (custom?.(req, res)) return;
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(req.url ?? '');
    if (realm !== undefined && m) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="hostile"` }).end();
      return;
    }
    const body = m?.[2] === 'manifests' ? manifests.get(`${m[1]}@${decodeURIComponent(m[3]!)}`) : m ? blobs.get(decodeURIComponent(m[3]!)) : undefined;
    if (body === undefined) {
      res.writeHead(404).end('{"errors":[{"code":"NOT_FOUND"}]}');
      return;
    }
    res.writeHead(200, { 'content-type': m?.[2] === 'manifests' ? OCI_MANIFEST : 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const reg: HostileRegistry = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    blob(data) {
      const d = sha256(data);
      blobs.set(d, data);
      return d;
    },
    manifest(repo, tag, body) {
      const buf = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const d = sha256(buf);
      manifests.set(`${repo}@${tag}`, buf);
      manifests.set(`${repo}@${d}`, buf);
      return d;
    },
    image(repo, tag, layer, override = {}) {
      const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
      const layerDigest = reg.blob(layer);
      return reg.manifest(repo, tag, {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: reg.blob(config), size: config.length },
        layers: [{ mediaType: OCI_LAYER_GZIP, digest: override.digest ?? layerDigest, size: override.size ?? layer.length }],
      });
    },
    challenge(r) {
      realm = r;
    },
    handle(fn) {
      custom = fn;
    },
  };
  return reg;
}
