// The BMC's virtual CD: InsertMedia's body parsed once (an http(s) Image, nothing else), the
// download done by the node through an injected fetcher (one at a time per VM, a few at once in
// all), then the VM's annotation set — the spec stays the user's; the CD-ROM appears in the
// next VMI the VM starts (resources/virtual-media.ts), and a running guest whose QEMU has the
// drive gets the medium at once (MediaStore.live). EjectMedia empties both.
import { mediaUrlProblem, VIRTUAL_MEDIA_ANNOTATION, formatInsertedMedia, parseInsertedMedia } from '../resources/virtual-media.ts';
import type { VmView } from './power.ts';
import { RedfishError } from './errors.ts';

/** What the node does with media files; the daemon wires it to the runtime's fetchMedia/removeMedia. */
export interface MediaStore {
  /** Downloads the image as the VM's virtual CD, telling the bytes so far; rejects with MediaFetchError when the URL cannot give one. */
  insert(vmUid: string, url: string, signal?: AbortSignal, onBytes?: (bytes: number, total: number | undefined) => void): Promise<{ bytes: number }>;
  eject(vmUid: string): Promise<void>;
  /**
   * Puts the VM's inserted file (or nothing) into its running guest's drive: 'live' when the
   * guest has it now, 'next-boot' when its QEMU has no virtual CD drive (it started without).
   */
  live?(vmiUid: string, vmUid: string, inserted: boolean): Promise<'live' | 'next-boot'>;
}

/** The image could not be used: unreachable (or too large, or broken off) or not an ISO image. */
export class MediaFetchError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'format',
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MediaFetchError';
  }
}

/** At most this many downloads at once on the node. */
export const MAX_MEDIA_DOWNLOADS = 4;

const ACTION = 'VirtualMedia.InsertMedia';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The image URL an InsertMedia body asks for; throws RedfishError on any bad part. */
export function parseInsertMedia(body: unknown): string {
  if (!isObj(body)) throw new RedfishError('MalformedJSON', [], `expected a JSON object, found ${JSON.stringify(body)?.slice(0, 60)}`);
  const image = body.Image;
  if (image === undefined) throw new RedfishError('ActionParameterMissing', [ACTION, 'Image']);
  const problem = mediaUrlProblem(image);
  if (problem) throw new RedfishError('ActionParameterValueFormatError', [String(image).slice(0, 200), 'Image', ACTION], `Image: ${problem}.`);
  const protocol = body.TransferProtocolType;
  const scheme = (image as string).startsWith('https:') ? 'HTTPS' : 'HTTP';
  if (protocol !== undefined && protocol !== scheme) throw new RedfishError('ActionParameterValueNotInList', [String(protocol), 'TransferProtocolType', ACTION], `TransferProtocolType: expected ${scheme} (the Image's scheme), found ${JSON.stringify(protocol)}.`);
  for (const [field, want] of [['Inserted', true], ['WriteProtected', true]] as const) {
    if (body[field] !== undefined && body[field] !== want) throw new RedfishError('ActionParameterValueNotInList', [String(body[field]), field, ACTION], `${field}: pxevirt's virtual CD accepts only ${want}, found ${JSON.stringify(body[field])}.`);
  }
  if (body.TransferMethod !== undefined && body.TransferMethod !== 'Upload') throw new RedfishError('ActionParameterValueNotInList', [String(body.TransferMethod), 'TransferMethod', ACTION], `TransferMethod: pxevirt downloads the whole image (Upload), found ${JSON.stringify(body.TransferMethod)}.`);
  return image as string;
}

/** The image inserted into a VM's virtual CD, or undefined. */
export const insertedImage = (annotations: Record<string, string> | undefined): string | undefined => parseInsertedMedia(annotations?.[VIRTUAL_MEDIA_ANNOTATION])?.image;

/**
 * The annotations with the image inserted (a URL) or ejected (undefined). Ejected, the annotation
 * stays without an image: the VM keeps its (empty) virtual CD drive, so a later InsertMedia
 * reaches its running guest. `vmUid` is the VMI copy's.
 */
export function withMedia(annotations: Record<string, string> | undefined, image: string | undefined, vmUid?: string): Record<string, string> {
  return { ...annotations, [VIRTUAL_MEDIA_ANNOTATION]: formatInsertedMedia({ ...(image === undefined ? {} : { image }), ...(vmUid === undefined ? {} : { vmUid }) }) };
}

/** What a media change did to the running guest: 'live' it has it now, 'off' none runs, 'next-boot' it gets it at its next power-on (why). */
export type LiveOutcome = { how: 'live' | 'off' } | { how: 'next-boot'; why: string };

/** The event's words for an outcome. */
export function liveWords(r: LiveOutcome): string {
  if (r.how === 'next-boot') return `the running guest gets it at its next power-on (${r.why})`;
  return r.how === 'live' ? 'the running guest has the change now' : "the VM's next power-on has it";
}

/** The virtual CD as the BMC holds it (the VM's annotation) and whether the running guest's drive holds the same (the VMI's). */
export interface MediaState {
  image?: string;
  inGuest: boolean;
}

export function mediaState(vm: VmView, vmi: VmView | undefined): MediaState {
  const image = insertedImage(vm.metadata.annotations);
  const running = (vmi?.status as { phase?: unknown } | undefined)?.phase === 'Running';
  return { ...(image === undefined ? {} : { image }), inGuest: running && image !== undefined && insertedImage(vmi?.metadata.annotations) === image };
}

/** A download's progress for its Task: percent of the announced size, never 100 before the end. */
export class DownloadProgress {
  private bytes = 0;
  private total: number | undefined;
  readonly update = (bytes: number, total: number | undefined): void => {
    this.bytes = bytes;
    this.total = total;
  };
  /** Undefined while the size is unknown (no Content-Length). */
  percent(): number | undefined {
    if (this.total === undefined || this.total <= 0) return undefined;
    return Math.min(99, Math.floor((this.bytes / this.total) * 100));
  }
}

/** Keeps downloads apart: one per VM, MAX_MEDIA_DOWNLOADS in all. */
export class DownloadSlots {
  private readonly busy = new Set<string>();
  /** Takes the VM's slot, or throws a 409 saying why not. */
  take(vmUid: string): () => void {
    if (this.busy.has(vmUid)) throw new RedfishError('ResourceStateConflict', ['a download into this virtual CD is under way; wait for it to end']);
    if (this.busy.size >= MAX_MEDIA_DOWNLOADS) throw new RedfishError('ResourceStateConflict', [`${MAX_MEDIA_DOWNLOADS} virtual media downloads are under way on this node; retry when one has ended`]);
    this.busy.add(vmUid);
    return () => this.busy.delete(vmUid);
  }
}

/** The Redfish error for a failed fetch: the Base message for an unreachable or unreadable image. */
export function fetchFailure(err: unknown, url: string): RedfishError {
  if (err instanceof MediaFetchError) return new RedfishError(err.kind === 'format' ? 'ResourceAtUriInUnknownFormat' : 'CouldNotEstablishConnection', [url], err.message, { cause: err });
  return new RedfishError('InternalError', [], err instanceof Error ? err.message : String(err), { cause: err });
}
