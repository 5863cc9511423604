// KubeVirt's domain admission (vmi-create-admitter.go): memory requested and sane, machine
// type in the q35 family, bootloader, hostname and subdomain rules.
import { CauseType, join, type Cause } from './causes.ts';
import { cause } from './admission.ts';
import { parseQuantity, quantityValue, type Quantity } from '../lib/quantity.ts';
import { dns1123LabelErrors, dns1123SubdomainErrors } from './names.ts';
import { objAt, type Obj } from './object-path.ts';

import { architectureOf, EMULATED_MACHINES_BY_ARCH, type Architecture } from './vmi-arch-rules.ts';

/** The machine types KubeVirt allows on amd64 by default (DefaultAMD64EmulatedMachines), as globs. */
export const EMULATED_MACHINES = EMULATED_MACHINES_BY_ARCH.amd64;
const globMatch = (glob: string, text: string): boolean => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(text);
const ONE_M = 1e6;
/** A CPU model name as QEMU lists them (`Skylake-Client-v4`, `qemu64`, `host-model`); empty means the default. */
export const CPU_MODEL = /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$/;

/** Memory, machine type, bootloader, hostname/subdomain and eviction strategy checks for a VMI spec at `base`. */
export function validateDomain(spec: Obj, base: string): Cause[] {
  const causes: Cause[] = [];
  const domain = objAt(spec, 'domain');
  const resources = objAt(domain, 'resources');
  const memory = objAt(domain, 'memory');
  const reqPath = join(base, 'domain.resources.requests.memory');
  const limPath = join(base, 'domain.resources.limits.memory');

  const quantityAt = (value: unknown, field: string): Quantity | undefined => {
    if (value === undefined || value === null) return undefined;
    const q = parseQuantity(value);
    if (!q) causes.push(cause(CauseType.Invalid, field, `${field}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', found ${JSON.stringify(value)}`));
    return q;
  };
  const request = quantityAt(objAt(resources, 'requests')?.memory, reqPath);
  const limit = quantityAt(objAt(resources, 'limits')?.memory, limPath);
  const guestPath = join(base, 'domain.memory.guest');
  const guest = quantityAt(memory?.guest, guestPath);
  const reqValue = request ? quantityValue(request) : 0;
  const limValue = limit ? quantityValue(limit) : 0;

  if (reqValue < 0) causes.push(cause(CauseType.Invalid, reqPath, `${reqPath} '${request?.text}': must be greater than or equal to 0.`));
  else if (reqValue > 0 && request!.value < ONE_M) causes.push(cause(CauseType.Invalid, reqPath, `${reqPath} '${request?.text}': must be greater than or equal to 1M.`));
  if (limValue < 0) causes.push(cause(CauseType.Invalid, limPath, `${limPath} '${limit?.text}': must be greater than or equal to 0.`));
  if (limValue > 0 && reqValue > limValue) causes.push(cause(CauseType.Invalid, reqPath, `${reqPath} '${request?.text}' is greater than ${limPath} '${limit?.text}'`));
  if (guest && limValue !== 0 && limValue < quantityValue(guest)) {
    causes.push(cause(CauseType.Invalid, guestPath, `${guestPath} '${guest.text}' must be equal to or less than the memory limit ${limPath} '${limit?.text}'`));
  }
  if (reqValue === 0 && (!memory || (memory.guest === undefined && memory.hugepages === undefined))) {
    causes.push(cause(CauseType.Required, reqPath, `no memory requested, at least one of '${guestPath}', '${join(base, 'domain.memory.hugepages.pageSize')}' or '${reqPath}' must be set`));
  }

  // The model goes to QEMU's -cpu, where `,` starts options and QEMU does not honour `,,`:
  // `host,+vmx` would add CPU flags. A model is a name only.
  const cpuModel = objAt(domain, 'cpu')?.model;
  if (cpuModel !== undefined && (typeof cpuModel !== 'string' || !CPU_MODEL.test(cpuModel))) {
    const field = join(base, 'domain.cpu.model');
    causes.push(cause(CauseType.Invalid, field, `${field}: expected a CPU model name (letters, digits, '.', '_', '-'; at most 64), found ${JSON.stringify(cpuModel)}`));
  }

  const machineType = objAt(domain, 'machine')?.type;
  const machines = EMULATED_MACHINES_BY_ARCH[architectureOf(spec) as Architecture] ?? EMULATED_MACHINES;
  if (typeof machineType === 'string' && machineType !== '' && !machines.some((g) => globMatch(g, machineType))) {
    const field = join(base, 'domain.machine.type');
    causes.push(cause(CauseType.Invalid, field, `${field} is not supported: ${machineType} (allowed values: [${machines.join(' ')}])`));
  }

  const firmware = objAt(domain, 'firmware');
  const bootloader = objAt(firmware, 'bootloader');
  const blPath = join(base, 'domain.firmware.bootloader');
  if (bootloader && objAt(bootloader, 'bios') && objAt(bootloader, 'efi')) {
    causes.push(cause(CauseType.Invalid, blPath, `${blPath} has both EFI and BIOS configured, but they are mutually exclusive.`));
  }
  const efi = objAt(bootloader, 'efi');
  if (efi && efi.secureBoot !== false && objAt(objAt(domain, 'features'), 'smm')?.enabled === false) {
    const field = join(base, 'domain');
    causes.push(cause(CauseType.Invalid, field, `${field} has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled.`));
  }

  if (typeof spec.hostname === 'string' && spec.hostname !== '') {
    const errors = dns1123LabelErrors(spec.hostname);
    if (errors.length > 0) {
      const field = join(base, 'hostname');
      causes.push(cause(CauseType.Invalid, field, `${field} does not conform to the kubernetes DNS_LABEL rules : ${errors.join(', ')}`));
    }
  }
  if (typeof spec.subdomain === 'string' && spec.subdomain !== '') {
    const errors = dns1123SubdomainErrors(spec.subdomain);
    if (errors.length > 0) {
      const field = join(base, 'subdomain');
      causes.push(cause(CauseType.Invalid, field, `${field} does not conform to the kubernetes DNS_SUBDOMAIN rules : ${errors.join(', ')}`));
    }
  }
  const eviction = spec.evictionStrategy;
  if (eviction !== undefined && !['None', 'LiveMigrate', 'LiveMigrateIfPossible', 'External'].includes(String(eviction))) {
    const field = join(base, 'evictionStrategy');
    causes.push(cause(CauseType.Invalid, field, `${field} is set with an unrecognized option: ${String(eviction)}`));
  }
  return causes;
}
