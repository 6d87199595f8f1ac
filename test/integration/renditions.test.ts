import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MemorySiteStore } from '#shared/adapters/memory/index.ts';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import type { ImageRenditions } from '#shared/ports.ts';
import { preparePhoto, publishPhoto } from '#shared/use-cases/photos.ts';
import { EXAMPLES } from '../support/site.ts';

const SEED_PHOTO = new Uint8Array(readFileSync(join(EXAMPLES, 'xay-dung-dang/images/sin-suoi-ho.jpg')));

describe('photo renditions with sharp', () => {
  it('makes each width up to the original as WebP, and the smaller ones as JPEG, without metadata', async () => {
    const made = await new SharpRenditions().renditions(SEED_PHOTO, [480, 960, 1200, 1440]);
    expect(made.map((r) => [r.width, r.height, r.format])).toEqual([
      [480, 320, 'webp'],
      [480, 320, 'jpeg'],
      [960, 640, 'webp'],
      [960, 640, 'jpeg'],
      [1200, 800, 'webp'],
    ]);
    for (const r of made) {
      const meta = await sharp(r.bytes).metadata();
      expect([meta.width, meta.format, meta.exif]).toEqual([r.width, r.format, undefined]);
    }
    expect(made.every((r) => r.bytes.byteLength < SEED_PHOTO.byteLength)).toBe(true);
  });

  it('publishes a photo with its renditions once, and tells pages their srcset', async () => {
    const site = new MemorySiteStore();
    const sharpen = new SharpRenditions();
    let made = 0;
    let prepared = 0;
    const counting: ImageRenditions = {
      async prepare(image) {
        prepared += 1;
        return sharpen.prepare(image);
      },
      async renditions(image, widths) {
        made += 1;
        return sharpen.renditions(image, widths);
      },
    };
    const photo = {
      siteKey: 'media/0123456789abcdef/sin-suoi-ho.jpg',
      bytes: SEED_PHOTO,
      contentType: 'image/jpeg',
    };
    const publish = async () => {
      const ready = await preparePhoto({ site, images: counting }, photo);
      if (!ready.ok) throw new Error(`refused: ${JSON.stringify(ready.refusal)}`);
      return publishPhoto({ site, images: counting }, ready.photo);
    };
    const shown = await publish();
    expect(shown).toEqual({
      url: '/media/0123456789abcdef/sin-suoi-ho.jpg',
      width: 1200,
      height: 800,
      sources: {
        webp: '/media/0123456789abcdef/sin-suoi-ho-480.webp 480w, /media/0123456789abcdef/sin-suoi-ho-960.webp 960w, /media/0123456789abcdef/sin-suoi-ho-1200.webp 1200w',
        original:
          '/media/0123456789abcdef/sin-suoi-ho-480.jpg 480w, /media/0123456789abcdef/sin-suoi-ho-960.jpg 960w, /media/0123456789abcdef/sin-suoi-ho.jpg 1200w',
      },
    });
    // Every URL the srcsets name is in the bucket, with its type and a year's cache.
    const srcsets = [shown.sources?.webp ?? '', shown.sources?.original ?? ''];
    for (const entry of srcsets.flatMap((s) => s.split(', '))) {
      const key = (entry.split(' ')[0] ?? '').slice(1);
      const object = await site.get(key);
      expect(object?.contentType, key).toBe(key.endsWith('.webp') ? 'image/webp' : 'image/jpeg');
      expect(object?.cacheControl).toContain('immutable');
    }
    // The original is encoded again, not the upload (which carries the camera's EXIF).
    expect((await site.get(photo.siteKey))?.bytes).not.toEqual(SEED_PHOTO);
    // Published again (a correction): the photo's record is there, nothing is decoded or resized.
    const writes = site.objects.size;
    expect(await publish()).toEqual(shown);
    expect([prepared, made, site.objects.size]).toEqual([1, 1, writes]);
  });
});
