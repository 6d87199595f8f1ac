import { posix } from 'node:path';
import type { PublishedImage } from '../domain/body.ts';
import type { ImageType } from '../domain/images.ts';
import type { ImageRefusal, ImageRenditions, SiteStore } from '../ports.ts';
import { CACHE_CONTROL } from './responses.ts';

/** Widths readers' screens get a photo in (besides the original's own): phones, tablets, desktops. */
export const RENDITION_WIDTHS = [480, 960, 1440] as const;

/** Photos that get renditions: JPEG and PNG. WebP, AVIF and GIF (maybe animated) are published at one size. */
const RESIZABLE: Record<string, 'jpg' | 'png'> = { 'image/jpeg': 'jpg', 'image/png': 'png' };

export interface PhotoDeps {
  readonly site: SiteStore;
  readonly images: ImageRenditions;
}

/** An upload to publish: its bytes as the editor uploaded them, and the name they get on the site. */
export interface PhotoToPublish {
  /** `media/<hash of the upload>/<name>`: the same upload always gets the same name. */
  readonly siteKey: string;
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

/** What the site holds of a published photo, written beside it last: its presence means all of it is there. */
interface PhotoRecord {
  readonly width: number;
  readonly height: number;
  readonly format: ImageType;
  readonly frames: number;
}

/** A photo checked and ready to write; `bytes` (its clean original) absent when the site has it all already. */
export interface ReadyPhoto extends PhotoRecord {
  readonly siteKey: string;
  readonly contentType: string;
  readonly bytes?: Uint8Array;
}

export type PreparedPhoto =
  | { readonly ok: true; readonly photo: ReadyPhoto }
  | { readonly ok: false; readonly refusal: ImageRefusal };

const recordKeyOf = (siteKey: string) => `${siteKey}.json`;

/** A photo found on the site when it was prepared was taken off before it was published: try again. */
export class PhotoRemovedError extends Error {
  override readonly name = 'PhotoRemovedError';
}

/**
 * Makes an upload fit to publish (see {@link ImageRenditions.prepare}) and writes nothing: a draft's photos
 * are all prepared before any is written, so that a bad third photo of five leaves the site as it was. A
 * photo the site already has (its record is there) is not decoded again.
 */
export async function preparePhoto(deps: PhotoDeps, photo: PhotoToPublish): Promise<PreparedPhoto> {
  const { siteKey, contentType } = photo;
  const record = parseRecord((await deps.site.get(recordKeyOf(siteKey)))?.bytes);
  if (record) return { ok: true, photo: { siteKey, contentType, ...record } };
  const prepared = await deps.images.prepare(photo.bytes);
  if (!prepared.ok) return prepared;
  const { bytes, width, height, format, frames } = prepared.image;
  if (contentType !== `image/${format}`) {
    return { ok: false, refusal: { reason: 'undecodable', detail: `decoded as ${format}` } };
  }
  return { ok: true, photo: { siteKey, contentType, width, height, format, frames, bytes } };
}

/**
 * Publishes a prepared photo under its content-addressed key and, for JPEG and PNG, smaller renditions
 * beside it (`<name>-480.webp`, `<name>-480.jpg`, ...), then says how pages show it: `srcset`s for WebP and
 * for the original's format, the original at its own width last. Renditions already there (same content,
 * same name) are not made again: the full-width WebP is written last of them, so its presence means all are
 * there; the photo's record is written after everything.
 */
export async function publishPhoto(deps: PhotoDeps, photo: ReadyPhoto): Promise<PublishedImage> {
  if (!photo.bytes && !(await deps.site.get(recordKeyOf(photo.siteKey)))) {
    throw new PhotoRemovedError(`${photo.siteKey} was taken off the site while it was being published`);
  }
  const immutable = (contentType: string) => ({ contentType, cacheControl: CACHE_CONTROL.immutable });
  const { siteKey, width, height } = photo;
  const url = `/${siteKey}`;
  const ext = RESIZABLE[photo.contentType];
  const base = siteKey.slice(0, -posix.extname(siteKey).length);
  const widths = [...RENDITION_WIDTHS.filter((w) => w < width), width];
  const keyOf = (w: number, e: string) => `${base}-${w}.${e}`;
  if (photo.bytes) {
    await deps.site.put(siteKey, photo.bytes, immutable(photo.contentType));
    const marker = keyOf(width, 'webp');
    if (ext && !(await deps.site.get(marker))) {
      const made = await deps.images.renditions(photo.bytes, widths);
      const last = made.find((r) => r.format === 'webp' && r.width === width);
      for (const r of made.filter((m) => m !== last)) {
        const e = r.format === 'webp' ? 'webp' : ext;
        await deps.site.put(keyOf(r.width, e), r.bytes, immutable(`image/${r.format}`));
      }
      if (last) await deps.site.put(marker, last.bytes, immutable('image/webp'));
    }
    const record: PhotoRecord = { width, height, format: photo.format, frames: photo.frames };
    await deps.site.put(recordKeyOf(siteKey), JSON.stringify(record), immutable('application/json'));
  }
  if (!ext) return { url, width, height };
  const smaller = widths.filter((w) => w < width);
  return {
    url,
    width,
    height,
    sources: {
      webp: widths.map((w) => `/${keyOf(w, 'webp')} ${w}w`).join(', '),
      original: [...smaller.map((w) => `/${keyOf(w, ext)} ${w}w`), `${url} ${width}w`].join(', '),
    },
  };
}

/**
 * Every object a published photo has on the site: its record first (without it the photo counts as not
 * there, so one removed part-way is published whole again), its renditions, the original. Without a record
 * (a photo published before records were kept) the renditions are found by listing.
 */
export async function photoObjectKeys(site: SiteStore, siteKey: string): Promise<string[]> {
  const record = parseRecord((await site.get(recordKeyOf(siteKey)))?.bytes);
  const ext = posix.extname(siteKey);
  const base = siteKey.slice(0, -ext.length);
  const own = RESIZABLE[`image/${record?.format ?? (ext === '.jpg' ? 'jpeg' : ext.slice(1))}`];
  let renditions: string[] = [];
  if (record && own) {
    const widths = [...RENDITION_WIDTHS.filter((w) => w < record.width), record.width];
    renditions = [
      ...widths.map((w) => `${base}-${w}.webp`),
      ...widths.filter((w) => w < record.width).map((w) => `${base}-${w}.${own}`),
    ];
  } else if (own) {
    const rendition = new RegExp(`^${escapeRegExp(base)}-\\d{2,5}\\.(webp|${own})$`);
    renditions = (await site.list(`${base}-`)).filter((k) => rendition.test(k));
  }
  return [recordKeyOf(siteKey), ...renditions, siteKey];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const FORMATS: readonly string[] = ['jpeg', 'png', 'gif', 'webp', 'avif'] satisfies ImageType[];

/** A record as written by {@link publishPhoto}; anything else (none, or damaged) means the photo is redone. */
function parseRecord(bytes: Uint8Array | undefined): PhotoRecord | undefined {
  if (!bytes) return undefined;
  try {
    const { width, height, format, frames } = JSON.parse(new TextDecoder().decode(bytes));
    const counts = [width, height, frames].every((n) => Number.isInteger(n) && n > 0);
    return counts && FORMATS.includes(format) ? { width, height, format, frames } : undefined;
  } catch {
    return undefined;
  }
}
