import { createHash } from 'node:crypto';
import type { Sharp } from 'sharp';
import { IMAGE_LIMITS, type ImageType, imageOverLimits } from '../../domain/images.ts';
import type { ImageRenditions, PrepareResult, Rendition } from '../../ports.ts';

/** Uploads up to this size have their prepared photo kept a while (four at most, about 10 MB in all). */
const PREPARED_CACHE_MAX_BYTES = 2 * 1024 * 1024;

/** sharp's names for the formats uploads may have; an AVIF is a HEIF with AV1 inside. */
const FORMATS: Record<string, ImageType> = {
  jpeg: 'jpeg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  heif: 'avif',
};

/**
 * Photos with sharp (libvips). `prepare` makes the original readers get: orientation from EXIF applied and
 * every piece of metadata dropped (sharp keeps none unless asked), in the upload's own format, animations
 * kept. Renditions are each requested width up to the original's, as WebP, and below it also in the
 * original's format (JPEG or PNG; the original itself serves its own width).
 */
export class SharpRenditions implements ImageRenditions {
  /** The last few photos' renditions: a photo reused across articles (a file photo) is resized once. */
  readonly #recent = new Map<string, Rendition[]>();

  /** The last few uploads prepared (small ones): a file photo beside many drafts is decoded once. */
  readonly #prepared = new Map<string, PrepareResult>();

  async prepare(image: Uint8Array): Promise<PrepareResult> {
    const key = createHash('sha256').update(image).digest('hex');
    const cached = this.#prepared.get(key);
    if (cached) return cached;
    const result = await this.#prepare(image);
    if (image.byteLength <= PREPARED_CACHE_MAX_BYTES) {
      this.#prepared.set(key, result);
      if (this.#prepared.size > 4) this.#prepared.delete(this.#prepared.keys().next().value as string);
    }
    return result;
  }

  async #prepare(image: Uint8Array): Promise<PrepareResult> {
    // Outside the decoding below: libvips failing to load is the machine's problem, retried, not the file's.
    const { default: sharp } = await import('sharp');
    const decoded = await decoding(async () => {
      const meta = await sharp(image).metadata();
      const format = FORMATS[meta.format ?? ''];
      if (!format || (format === 'avif' && meta.compression !== 'av1')) {
        return { ok: false, refusal: { reason: 'undecodable', detail: `read as ${meta.format}` } } as const;
      }
      // GIF and WebP animations stay animations. libvips writes AVIF as still images only: an AVIF
      // sequence is published as its primary (still) image.
      const frames = format === 'gif' || format === 'webp' ? (meta.pages ?? 1) : 1;
      const { width = 0, height = 0 } = meta.autoOrient ?? meta;
      const over = imageOverLimits({ width, height, frames });
      if (over === 'dimensions') return { ok: false, refusal: { reason: over, width, height } } as const;
      if (over === 'frames') return { ok: false, refusal: { reason: over, width, height, frames } } as const;
      const animated = frames > 1;
      const source = sharp(image, {
        failOn: 'error',
        animated,
        limitInputPixels: animated ? IMAGE_LIMITS.animationPixels : IMAGE_LIMITS.pixels,
      });
      // Turning an animation is not supported by libvips; animations carry no orientation in practice.
      const upright = animated ? source : source.rotate();
      const { data, info } = await encode(upright, format, {
        palette: meta.isPalette === true,
        lossless: format === 'webp' && isLosslessWebp(image),
      }).toBuffer({ resolveWithObject: true });
      const prepared = {
        bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        width: info.width,
        height: info.pageHeight ?? info.height,
        format,
        frames: info.pages ?? 1,
      };
      return { ok: true, image: prepared } as const;
    });
    return decoded;
  }

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
    const source = sharp(image, { failOn: 'error', limitInputPixels: IMAGE_LIMITS.pixels }).rotate();
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

/**
 * The original's encoding: close to what was uploaded, which was already compressed once. JPEG without
 * mozjpeg: a 24-megapixel photo takes 0.4 s instead of 2 s (for 17% more bytes), and a draft may have 30.
 */
function encode(image: Sharp, format: ImageType, like: { palette: boolean; lossless: boolean }): Sharp {
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: 88 });
    case 'png':
      return image.png({ compressionLevel: 9, palette: like.palette });
    case 'webp':
      return like.lossless ? image.webp({ lossless: true }) : image.webp({ quality: 88 });
    case 'gif':
      return image.gif();
    case 'avif':
      return image.avif({ quality: 64 });
  }
}

/**
 * Runs sharp on an upload held in memory: nothing is read or written but memory, so what fails is the file
 * (truncated, corrupt, not what its header says), and it is refused. Running out of memory is not the
 * file's fault (the limits keep files from causing it): that is thrown, and retried.
 */
async function decoding(run: () => Promise<PrepareResult>): Promise<PrepareResult> {
  try {
    return await run();
  } catch (error) {
    const detail = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    if (/out of memory|bad_alloc|cannot allocate/i.test(detail)) throw error;
    return { ok: false, refusal: { reason: 'undecodable', detail: detail.slice(0, 200) } };
  }
}

/** Whether a WebP's (first) image is lossless (VP8L): a screenshot or a drawing is kept sharp-edged. */
function isLosslessWebp(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fourcc = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const type = fourcc(at);
    if (type === 'VP8L') return true;
    if (type === 'VP8 ') return false;
    // An animation frame: its image chunks follow a 16-byte frame header.
    if (type === 'ANMF') at += 8 + 16;
    else at += 8 + view.getUint32(at + 4, true) + (view.getUint32(at + 4, true) % 2);
  }
  return false;
}
