// The BMC's virtual CD: InsertMedia's body parsed once (an http(s) Image, nothing else), the
// download done by the node through an injected fetcher (one at a time per VM, a few at once in
// all), then the VM's annotation set — the spec stays the user's; the CD-ROM appears in the
// next VMI the VM starts (resources/virtual-media.ts). EjectMedia removes both.
import { mediaUrlProblem, VIRTUAL_MEDIA_ANNOTATION, formatInsertedMedia, parseInsertedMedia } from '../resources/virtual-media.ts';
import { RedfishError } from './errors.ts';

/** What the node does with media files; the daemon wires it to the runtime's fetchMedia/removeMedia. */
export interface MediaStore {
  /** Downloads the image as the VM's virtual CD; rejects with MediaFetchError when the URL cannot give one. */
  insert(vmUid: string, url: string, signal?: AbortSignal): Promise<{ bytes: number }>;
  eject(vmUid: string): Promise<void>;
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

/** The VM's annotations with the image inserted (a URL) or ejected (undefined). */
export function withMedia(annotations: Record<string, string> | undefined, image: string | undefined): Record<string, string> {
  const next = { ...annotations };
  if (image === undefined) delete next[VIRTUAL_MEDIA_ANNOTATION];
  else next[VIRTUAL_MEDIA_ANNOTATION] = formatInsertedMedia({ image });
  return next;
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
