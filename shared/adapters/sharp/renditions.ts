import { createHash } from 'node:crypto';
import type { ImageRenditions, Rendition } from '../../ports.ts';

/**
 * Photo renditions with sharp (libvips): each requested width up to the original's, as WebP, and below it
 * also in the original's format (JPEG or PNG; the original itself serves its own width). Orientation from EXIF is applied and
 * metadata dropped, so that no camera or location data is published.
 */
export class SharpRenditions implements ImageRenditions {
  /** The last few photos' renditions: a photo reused across articles (a file photo) is resized once. */
  readonly #recent = new Map<string, Rendition[]>();

  async renditions(image: Uint8Array, widths: readonly number[]): Promise<Rendition[]> {
    const key = `${createHash('sha256').update(image).digest('hex')}:${widths.join(',')}`;
    const cached = this.#recent.get(key);
    if (cached) return cached;
    const made = await this.#make(image, widths);
    this.#recent.set(key, made);
    if (this.#recent.size > 4) this.#recent.delete(this.#recent.keys().next().value as string);
    return made;
  }

  async #make(image: Uint8Array, widths: readonly number[]): Promise<Rendition[]> {
    // Loaded on first use: a cold start that publishes no photo does not load libvips.
    const { default: sharp } = await import('sharp');
    const source = sharp(image, { failOn: 'error', limitInputPixels: 60_000_000 }).rotate();
    const { width = 0, format } = await source.metadata();
    const own = format === 'jpeg' || format === 'png' ? format : undefined;
    const out: Rendition[] = [];
    for (const target of widths.filter((w) => w <= width)) {
      const resized = source.clone().resize({ width: target, withoutEnlargement: true });
      const smaller = target < width;
      const encodings = [
        ['webp', resized.clone().webp({ quality: 78 })],
        ...(smaller && own === 'jpeg'
          ? [['jpeg', resized.clone().jpeg({ quality: 80, mozjpeg: true })] as const]
          : []),
        ...(smaller && own === 'png' ? [['png', resized.clone().png({ compressionLevel: 9 })] as const] : []),
      ] as const;
      for (const [kind, pipeline] of encodings) {
        const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
        out.push({ width: info.width, height: info.height, format: kind, bytes: new Uint8Array(data) });
      }
    }
    return out;
  }
}
