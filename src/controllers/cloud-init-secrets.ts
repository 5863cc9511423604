// cloudInitNoCloud's secretRef / networkDataSecretRef, resolved when the guest starts (as
// virt-controller does): the Secret's `userdata` (or `userData`) and `networkdata` (or
// `networkData`) keys become the volume's userDataBase64 / networkDataBase64 in the VMI handed
// to the runtime, so the runtime never reads the store and the stored VMI never holds the data.
import type { Vmi } from '../resources/vmi-spec.ts';

/** A Secret a VMI refers to is missing or lacks the key; the message names the field and the Secret. */
export class CloudInitSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudInitSecretError';
  }
}

type SecretData = Record<string, unknown> | undefined;

const keyOf = (data: Record<string, unknown>, keys: readonly string[]): string | undefined => {
  for (const k of keys) if (typeof data[k] === 'string') return data[k] as string;
  return undefined;
};

/** The VMI with every cloud-init Secret reference replaced by the Secret's data; pure given `secretData`. */
export function resolveCloudInitSecrets(vmi: Vmi, secretData: (namespace: string, name: string) => SecretData): Vmi {
  const volumes = vmi.spec.volumes;
  if (!volumes?.some((v) => v.cloudInitNoCloud?.secretRef || v.cloudInitNoCloud?.networkDataSecretRef)) return vmi;
  const namespace = vmi.metadata.namespace ?? 'default';
  const read = (field: string, name: string | undefined, keys: readonly string[]): string => {
    if (!name) throw new CloudInitSecretError(`${field}.name: expected the name of a Secret, found nothing`);
    const data = secretData(namespace, name);
    if (data === undefined) throw new CloudInitSecretError(`${field}: Secret ${namespace}/${name} not found`);
    const value = keyOf(data, keys);
    if (value === undefined) throw new CloudInitSecretError(`${field}: Secret ${namespace}/${name} has no ${keys.join(' or ')} key`);
    return value;
  };
  return {
    ...vmi,
    spec: {
      ...vmi.spec,
      volumes: volumes.map((v, i) => {
        const ci = v.cloudInitNoCloud;
        if (!ci || (!ci.secretRef && !ci.networkDataSecretRef)) return v;
        const { secretRef, networkDataSecretRef, ...rest } = ci;
        const field = `spec.volumes[${i}].cloudInitNoCloud`;
        return {
          ...v,
          cloudInitNoCloud: {
            ...rest,
            ...(secretRef ? { userDataBase64: read(`${field}.secretRef`, secretRef.name, ['userdata', 'userData']) } : {}),
            ...(networkDataSecretRef ? { networkDataBase64: read(`${field}.networkDataSecretRef`, networkDataSecretRef.name, ['networkdata', 'networkData']) } : {}),
          },
        };
      }),
    },
  };
}
