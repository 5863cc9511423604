// A BMC's virtual CD (Redfish VirtualMedia), kept beside the VM's spec, never in it: the VM
// carries the inserted image's URL as an annotation, the VMI it starts carries a copy with the
// VM's uid, and the device plan adds one read-only SATA CD-ROM for that VMI only. An annotation
// without an image (`{}`, what EjectMedia leaves) keeps the drive, empty, so a medium can be
// inserted while the guest runs; a VM that never had one has no drive at all. The file is
// `<data-dir>/media/<vm-uid>/cd.iso` on the node — its place follows from the uid alone, so
// nothing a user writes into an annotation names a path.

/** The annotation on a VM (what is inserted) and on the VMI it starts (the copy its CD-ROM uses). */
export const VIRTUAL_MEDIA_ANNOTATION = 'bmc.pxevirt.io/virtual-media';

/** The disk and volume name of the virtual CD-ROM in a VMI's device plan. */
export const VIRTUAL_CD_NAME = 'pxevirt-virtual-cd';

/** What is inserted: the image's URL (none: the drive is there, empty), and (on the VMI's copy) the VM whose file it is. */
export interface InsertedMedia {
  image?: string;
  vmUid?: string;
}

/** A Kubernetes uid: the only thing that becomes a directory name under the media root. */
const UID = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const isSafeUid = (uid: string): boolean => UID.test(uid);

/** Whether a URL is one a virtual CD may be read from: http or https, nothing else. */
export function mediaUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || url === '') return `expected an http:// or https:// URL, found ${JSON.stringify(url)}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `expected an http:// or https:// URL, found ${JSON.stringify(url.slice(0, 200))}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `expected an http:// or https:// URL, found the scheme ${parsed.protocol}`;
  if (url.length > 2048) return `expected a URL of at most 2048 characters, found ${url.length}`;
  return undefined;
}

/** The inserted media an annotation value holds; undefined when absent or unreadable (annotations are user-writable). */
export function parseInsertedMedia(value: string | undefined): InsertedMedia | undefined {
  if (value === undefined) return undefined;
  try {
    const o = JSON.parse(value) as unknown;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
    const { image, vmUid } = o as Record<string, unknown>;
    if (image !== undefined && (typeof image !== 'string' || mediaUrlProblem(image) !== undefined)) return undefined;
    if (vmUid !== undefined && (typeof vmUid !== 'string' || !isSafeUid(vmUid))) return undefined;
    return { ...(image === undefined ? {} : { image }), ...(vmUid === undefined ? {} : { vmUid }) };
  } catch {
    return undefined;
  }
}

/** The annotation value for inserted media. */
export function formatInsertedMedia(m: InsertedMedia): string {
  return JSON.stringify({ ...(m.image === undefined ? {} : { image: m.image }), ...(m.vmUid === undefined ? {} : { vmUid: m.vmUid }) });
}

/** The file of a VM's virtual CD under the media root (`<data-dir>/media`); the uid must be safe. */
export function mediaFile(mediaRoot: string, vmUid: string): string {
  if (!isSafeUid(vmUid)) throw new Error(`virtual media: expected a Kubernetes uid, found ${JSON.stringify(vmUid)}`);
  return `${mediaRoot}/${vmUid}/cd.iso`;
}
