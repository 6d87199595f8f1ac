/**
 * What an image file really is, read from its first bytes (not its name), and its size in pixels when the
 * header says it. Enough to refuse a renamed PDF, an empty file or a 30,000-pixel-wide photo before it is
 * published.
 */
export type ImageType = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif';

export interface ImageFacts {
  readonly type?: ImageType;
  readonly width?: number;
  readonly height?: number;
}

/**
 * What an upload may be. An animation's frames are decoded together, so besides each frame's own limits
 * it has at most `frames` of them and `animationPixels` in all (about 400 MB decoded, within the ingest
 * function's 1 GB beside the draft's other images): a 2,000-frame GIF of a few kilobytes stays a few
 * kilobytes only until it is decoded.
 */
export const IMAGE_LIMITS = {
  bytes: 20 * 1024 * 1024,
  side: 12_000,
  pixels: 60_000_000,
  frames: 300,
  animationPixels: 100_000_000,
} as const;

/** An image's size: each frame's, after EXIF orientation where it is known. */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
  /** Frames of an animation; 1 (or absent) for a still image. */
  readonly frames?: number;
}

/** The limit an image of this size is over, if any: too large a frame, or too long an animation. */
export function imageOverLimits(size: ImageSize): 'dimensions' | 'frames' | undefined {
  const { width, height, frames = 1 } = size;
  const { side, pixels } = IMAGE_LIMITS;
  if (width > side || height > side || width * height > pixels) return 'dimensions';
  if (frames > IMAGE_LIMITS.frames || width * height * frames > IMAGE_LIMITS.animationPixels) return 'frames';
  return undefined;
}

export function imageTypeOfName(name: string): ImageType | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg';
  if (ext === 'png' || ext === 'gif' || ext === 'webp' || ext === 'avif') return ext;
  return undefined;
}

const ascii = (bytes: Uint8Array, from: number, to: number) =>
  String.fromCharCode(...bytes.subarray(from, to));

export function inspectImage(bytes: Uint8Array): ImageFacts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (n: number) => bytes.byteLength >= n;
  if (has(24) && bytes[0] === 0x89 && ascii(bytes, 1, 4) === 'PNG') {
    return { type: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (has(10) && ascii(bytes, 0, 4) === 'GIF8') {
    return { type: 'gif', width: view.getUint16(6, true), height: view.getUint16(8, true) };
  }
  if (has(12) && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    return { type: 'webp', ...webpSize(bytes, view) };
  }
  if (has(12) && ascii(bytes, 4, 8) === 'ftyp' && /avi[fs]/.test(ascii(bytes, 8, 12)))
    return { type: 'avif', ...avifSize(bytes, view) };
  if (has(3) && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return { type: 'jpeg', ...jpegSize(bytes, view) };
  return {};
}

function webpSize(bytes: Uint8Array, view: DataView): { width?: number; height?: number } {
  const chunk = bytes.byteLength >= 30 ? ascii(bytes, 12, 16) : '';
  if (chunk === 'VP8X') {
    const w = 1 + (view.getUint16(24, true) | (view.getUint8(26) << 16));
    const h = 1 + (view.getUint16(27, true) | (view.getUint8(29) << 16));
    return { width: w, height: h };
  }
  if (chunk === 'VP8 ')
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  if (chunk === 'VP8L' && bytes.byteLength >= 25) {
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return {};
}

/**
 * The largest size the AVIF's item properties declare (`meta` > `iprp` > `ipco` > `ispe`): the primary
 * image's, or a grid's, or a tile's, whichever is larger, which is the one a decoder would allocate.
 */
function avifSize(bytes: Uint8Array, view: DataView): { width?: number; height?: number } {
  const boxes = function* (from: number, to: number) {
    let at = from;
    while (at + 8 <= to) {
      const size = view.getUint32(at);
      if (size < 8 || at + size > to) return;
      yield { type: ascii(bytes, at + 4, at + 8), start: at + 8, end: at + size };
      at += size;
    }
  };
  const child = (type: string, from: number, to: number) => {
    for (const box of boxes(from, to)) if (box.type === type) return box;
    return undefined;
  };
  const meta = child('meta', 0, bytes.byteLength);
  // `meta` is a full box: a version and flags before its children.
  const iprp = meta && child('iprp', meta.start + 4, meta.end);
  const ipco = iprp && child('ipco', iprp.start, iprp.end);
  let width = 0;
  let height = 0;
  for (const box of ipco ? boxes(ipco.start, ipco.end) : []) {
    if (box.type !== 'ispe' || box.end - box.start < 12) continue;
    width = Math.max(width, view.getUint32(box.start + 4));
    height = Math.max(height, view.getUint32(box.start + 8));
  }
  return width && height ? { width, height } : {};
}

/** Walks the JPEG markers to the frame header (SOFn), which holds the size. */
function jpegSize(bytes: Uint8Array, view: DataView): { width?: number; height?: number } {
  let at = 2;
  while (at + 9 < bytes.byteLength) {
    if (bytes[at] !== 0xff) return {};
    const marker = bytes[at + 1] ?? 0;
    const length = view.getUint16(at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    at += 2 + length;
  }
  return {};
}
