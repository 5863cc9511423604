// The firmware as a BMC shows it, pure: the Bios resource (read-only Attributes: boot mode, Secure
// Boot, persistent EFI variables, architecture, SMBIOS UUID) and the SecureBoot resource, both from
// the firmware the VM's running VMI was started with, else the one its template asks for. Neither
// changes the VM: a PATCH that would change a value is refused (PropertyNotWritable); one that
// restates the current value succeeds (Ironic sets SecureBootEnable to what it already is).
import { RedfishError } from './errors.ts';
import { paths, ROOT } from './resources.ts';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** The firmware of a VM (or of its running VMI). */
export interface FirmwareView {
  mode: 'UEFI' | 'Legacy';
  /** Only when the spec asks for it explicitly (efi.secureBoot: true), as the runtime boots it. */
  secureBoot: boolean;
  /** EFI variables kept across power cycles (efi.persistent). */
  persistentVars: boolean;
  architecture: string;
}

/** The firmware a VMI spec (or a VM's template spec) describes. */
export function firmwareOf(spec: unknown): FirmwareView {
  const s = obj(spec);
  const bootloader = obj(obj(obj(s.domain).firmware).bootloader);
  const efi = bootloader.efi === undefined ? undefined : obj(bootloader.efi);
  const arch = typeof s.architecture === 'string' && s.architecture !== '' ? s.architecture : 'amd64';
  return { mode: efi ? 'UEFI' : 'Legacy', secureBoot: efi?.secureBoot === true, persistentVars: efi?.persistent === true, architecture: arch };
}

interface Who {
  uid: string;
  name: string;
  uuid: string;
  firmware: FirmwareView;
}

/** The Bios resource (Bios.v1_2_0): read-only attributes, no settings object, no actions. */
export function bios(v: Who): Obj {
  const id = paths.bios(v.uid);
  return {
    '@odata.id': id,
    '@odata.type': '#Bios.v1_2_0.Bios',
    '@odata.context': `${ROOT}/$metadata#Bios.Bios`,
    Id: 'BIOS',
    Name: `Firmware of ${v.name}`,
    Description: v.firmware.mode === 'UEFI' ? 'OVMF (UEFI)' : 'SeaBIOS',
    AttributeRegistry: 'PxevirtBiosAttributeRegistry.v1_0_0',
    Attributes: {
      BootMode: v.firmware.mode === 'UEFI' ? 'Uefi' : 'Bios',
      SecureBoot: v.firmware.secureBoot ? 'Enabled' : 'Disabled',
      PersistentEfiVariables: v.firmware.persistentVars ? 'Enabled' : 'Disabled',
      Architecture: v.firmware.architecture,
      SystemUuid: v.uuid,
    },
  };
}

/** The SecureBoot resource (SecureBoot.v1_1_0). */
export function secureBoot(v: Who, running: boolean): Obj {
  const { mode, secureBoot: on } = v.firmware;
  return {
    '@odata.id': paths.secureBoot(v.uid),
    '@odata.type': '#SecureBoot.v1_1_0.SecureBoot',
    '@odata.context': `${ROOT}/$metadata#SecureBoot.SecureBoot`,
    Id: 'SecureBoot',
    Name: `UEFI Secure Boot of ${v.name}`,
    SecureBootEnable: on,
    // Unknown while the VM is off, as for a server that has not booted.
    SecureBootCurrentBoot: running ? (on ? 'Enabled' : 'Disabled') : null,
    // Secure OVMF's variables carry the enrolled keys (UserMode); plain OVMF's have none (SetupMode); SeaBIOS has no mode.
    SecureBootMode: mode === 'Legacy' ? null : on ? 'UserMode' : 'SetupMode',
  };
}

const WRITABLE_NONE = ['SecureBootEnable', 'SecureBootCurrentBoot', 'SecureBootMode'];

/** Checks a PATCH of SecureBoot: accepted only when it restates what is; throws RedfishError otherwise. */
export function checkSecureBootPatch(body: unknown, current: Obj): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RedfishError('MalformedJSON', [], `expected a JSON object, found ${JSON.stringify(body)?.slice(0, 60)}`);
  for (const [field, value] of Object.entries(body)) {
    if (field.startsWith('@')) continue;
    if (!WRITABLE_NONE.includes(field)) throw new RedfishError('PropertyUnknown', [field.slice(0, 100)]);
    if (field === 'SecureBootEnable' && typeof value !== 'boolean') throw new RedfishError('PropertyValueTypeError', [String(JSON.stringify(value)).slice(0, 100), field], `SecureBootEnable: expected true or false, found ${JSON.stringify(value)?.slice(0, 60)}.`);
    if (value !== current[field])
      throw new RedfishError('PropertyNotWritable', [field], `${field}: pxevirt reflects the VM's firmware (spec.template.spec.domain.firmware.bootloader.efi.secureBoot) and does not change it over Redfish; it is ${JSON.stringify(current[field])}, the request asked for ${JSON.stringify(value)?.slice(0, 60)}.`);
  }
}
