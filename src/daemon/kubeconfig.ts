// The kubeconfig `pxevirt up` writes for kubectl: the server URL, the CA and the token.
import { stringify } from 'yaml';

/** The kubeconfig text for a server URL, CA certificate (PEM) and bearer token. */
export function kubeconfigText(options: { server: string; caPem: string; token: string; namespace?: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'pxevirt', cluster: { server: options.server, 'certificate-authority-data': Buffer.from(options.caPem).toString('base64') } }],
    users: [{ name: 'pxevirt', user: { token: options.token } }],
    contexts: [{ name: 'pxevirt', context: { cluster: 'pxevirt', user: 'pxevirt', namespace: options.namespace ?? 'default' } }],
    'current-context': 'pxevirt',
    preferences: {},
  });
}

/** `https://host:port`, with IPv6 hosts in brackets. */
export const serverUrl = (host: string, port: number): string => `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
