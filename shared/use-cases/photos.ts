import { posix } from 'node:path';
import type { PublishedImage } from '../domain/body.ts';
import type { ImageRenditions, SiteStore } from '../ports.ts';
import { CACHE_CONTROL } from './cache.ts';

/** Widths readers' screens get a photo in (besides the original's own): phones, tablets, desktops. */
export const RENDITION_WIDTHS = [480, 960, 1440] as const;

/** Photos that get renditions: JPEG and PNG. WebP, AVIF and GIF (maybe animated) are published as they are. */
const RESIZABLE: Record<string, 'jpg' | 'png'> = { 'image/jpeg': 'jpg', 'image/png': 'png' };

export interface PhotoToPublish {
  readonly siteKey: string;
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly width?: number;
  readonly height?: number;
}

/**
 * Publishes a photo under its content-addressed key and, when it can, smaller renditions beside it
 * (`<name>-480.webp`, `<name>-480.jpg`, ...), then says how pages show it: `srcset`s for WebP and for the
 * original's format, the original at its own width last. Renditions already there (same content, same
 * name) are not made again: the full-width WebP is written last, so its presence means all are there.
 */
export async function publishPhoto(
  deps: { readonly site: SiteStore; readonly images?: ImageRenditions },
  photo: PhotoToPublish,
): Promise<PublishedImage> {
  const immutable = (contentType: string) => ({ contentType, cacheControl: CACHE_CONTROL.immutable });
  await deps.site.put(photo.siteKey, photo.bytes, immutable(photo.contentType));
  const url = `/${photo.siteKey}`;
  const { width, height } = photo;
  const size = width && height ? { width, height } : {};
  const ext = RESIZABLE[photo.contentType];
  if (!deps.images || !ext || !width) return { url, ...size };

  const base = photo.siteKey.slice(0, -posix.extname(photo.siteKey).length);
  const widths = [...RENDITION_WIDTHS.filter((w) => w < width), width];
  const keyOf = (w: number, e: string) => `${base}-${w}.${e}`;
  const marker = keyOf(width, 'webp');
  if (!(await deps.site.get(marker))) {
    const made = await deps.images.renditions(photo.bytes, widths);
    const last = made.find((r) => r.format === 'webp' && r.width === width);
    for (const r of made.filter((m) => m !== last)) {
      const e = r.format === 'webp' ? 'webp' : ext;
      await deps.site.put(keyOf(r.width, e), r.bytes, immutable(`image/${r.format}`));
    }
    if (last) await deps.site.put(marker, last.bytes, immutable('image/webp'));
  }
  const smaller = widths.filter((w) => w < width);
  return {
    url,
    ...size,
    sources: {
      webp: widths.map((w) => `/${keyOf(w, 'webp')} ${w}w`).join(', '),
      original: [...smaller.map((w) => `/${keyOf(w, ext)} ${w}w`), `${url} ${width}w`].join(', '),
    },
  };
}
