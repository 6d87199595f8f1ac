import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import { pageKey } from '#shared/domain/article.ts';
import { inspectImage } from '#shared/domain/images.ts';
import { gifOfFrames } from '../support/hostile-corpus.ts';
import { parsePage } from '../support/html.ts';
import { memoryPipeline } from '../support/memory-pipeline.ts';
import { draftText, example, SEED_IMAGE_KEY } from '../support/site.ts';

type Pipeline = ReturnType<typeof memoryPipeline>;

/** Who took the photo, where, with what: none of it may reach readers. */
const ARTIST = 'Nguyen Van Bao';
const SECRETS = [
  'Exif',
  'http://ns.adobe.com/xap',
  'Photoshop 3.0',
  '8BIM',
  ARTIST,
  'Canon',
  'EOS R5',
  'WGS-84',
  'Sin Ho',
  'Toa soan',
];

const EXIF = {
  IFD0: { Artist: ARTIST, Make: 'Canon', Model: 'EOS R5', Copyright: 'Toa soan Lai Chau' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '22/1 21/1 30/1', GPSMapDatum: 'WGS-84' },
};
const XMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmp:CreatorTool="Canon EOS R5"><dc:creator>${ARTIST}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`;

/** A JPEG segment: marker, length, payload. */
function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.byteLength + 2, 2);
  return Buffer.concat([head, payload]);
}

/** An IPTC record (APP13, as Photoshop writes it) naming the photographer and the place. */
function iptcSegment(): Buffer {
  const dataset = (tag: number, text: string) => {
    const value = Buffer.from(text, 'latin1');
    return Buffer.concat([
      Buffer.from([0x1c, 0x02, tag, value.byteLength >> 8, value.byteLength & 0xff]),
      value,
    ]);
  };
  const iptc = Buffer.concat([dataset(80, ARTIST), dataset(90, 'Sin Ho')]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(iptc.byteLength);
  const resource = Buffer.concat([
    Buffer.from('8BIM', 'latin1'),
    Buffer.from([0x04, 0x04, 0, 0]),
    size,
    iptc,
    Buffer.alloc(iptc.byteLength % 2),
  ]);
  return segment(0xed, Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), resource]));
}

/**
 * A camera's JPEG: 1,000 × 600 as stored, to be turned a quarter (EXIF orientation 6), so 600 × 1,000
 * upright; with EXIF (artist, camera, GPS), XMP, IPTC and a comment.
 */
async function cameraJpeg(): Promise<Uint8Array> {
  const stored = await sharp({ create: { width: 1000, height: 600, channels: 3, background: '#3a7' } })
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .withExifMerge(EXIF)
    .withXmp(XMP)
    .toBuffer();
  const comment = segment(0xfe, Buffer.from(`Chup boi ${ARTIST} tai Sin Ho`, 'latin1'));
  return new Uint8Array(Buffer.concat([stored.subarray(0, 2), iptcSegment(), comment, stored.subarray(2)]));
}

/** A PNG chunk, with its CRC. */
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.byteLength);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG with an eXIf chunk (libvips writes it) and tEXt chunks after its header. */
async function pngWithText(): Promise<Uint8Array> {
  const png = await sharp({ create: { width: 700, height: 400, channels: 3, background: '#a37' } })
    .png()
    .withExif(EXIF)
    .toBuffer();
  const text = [
    chunk('tEXt', Buffer.from(`Author\0${ARTIST}`, 'latin1')),
    chunk('tEXt', Buffer.from('Comment\0Sin Ho, WGS-84', 'latin1')),
  ];
  // Signature (8 bytes) and IHDR (25).
  const header = 33;
  return new Uint8Array(Buffer.concat([png.subarray(0, header), ...text, png.subarray(header)]));
}

async function webpWithExif(): Promise<Uint8Array> {
  const webp = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#37a' } })
    .webp({ quality: 80 })
    .withExif(EXIF)
    .withXmp(XMP)
    .toBuffer();
  return new Uint8Array(webp);
}

const body = (...names: string[]) =>
  ['Mở đầu.', ...names.map((n) => `![Ảnh ${n}](images/${n} "Ảnh: PV")`)].join('\n\n');

async function upload(p: Pipeline, files: Record<string, Uint8Array>) {
  for (const [key, bytes] of Object.entries(files)) p.drafts.put(key, bytes);
}

/** Every media object on the site, with what is wrong with it (metadata it still carries). */
async function leaks(p: Pipeline): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const [key, object] of p.site.objects) {
    if (!key.startsWith('media/')) continue;
    const bytes = Buffer.from(object.bytes);
    const wrong = SECRETS.filter((s) => bytes.includes(s, 0, 'latin1'));
    if (!key.endsWith('.json')) {
      const meta = await sharp(bytes).metadata();
      if (meta.exif) wrong.push('exif');
      if (meta.xmp) wrong.push('xmp');
      if (meta.iptc) wrong.push('iptc');
      if (meta.comments?.length) wrong.push('comments');
      if ((meta.orientation ?? 1) !== 1) wrong.push(`orientation ${meta.orientation}`);
    }
    found[key] = wrong;
  }
  return found;
}

describe('photos as readers get them', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = memoryPipeline();
    await p.init();
  });

  it('the test photos do carry what must not be published', async () => {
    const camera = await cameraJpeg();
    const jpeg = await sharp(camera).metadata();
    expect([jpeg.orientation, !!jpeg.exif, !!jpeg.xmp, !!jpeg.iptc]).toEqual([6, true, true, true]);
    // sharp does not report a JPEG's comment (COM): it is in the bytes.
    expect(Buffer.from(camera).includes(`Chup boi ${ARTIST}`)).toBe(true);
    const png = await pngWithText();
    expect([Buffer.from(png).includes('eXIf'), (await sharp(png).metadata()).comments?.length]).toEqual([
      true,
      2,
    ]);
    const webp = await sharp(await webpWithExif()).metadata();
    expect([!!webp.exif, !!webp.xmp]).toEqual([true, true]);
  });

  it('publishes no EXIF, XMP, IPTC or comment in any media object, originals included, turned upright', async () => {
    await upload(p, {
      'xa-hoi/images/may-anh.jpg': await cameraJpeg(),
      'xa-hoi/images/ban-do.png': await pngWithText(),
      'xa-hoi/images/pho.webp': await webpWithExif(),
    });
    const [report] = await p.change(
      'xa-hoi/anh.md',
      draftText({}, body('may-anh.jpg', 'ban-do.png', 'pho.webp')),
    );
    expect(report?.status, JSON.stringify(report?.errors)).toBe('published');

    const media = await leaks(p);
    // The three originals, their renditions and their records.
    expect(Object.keys(media).length).toBeGreaterThanOrEqual(9);
    expect(Object.entries(media).filter(([, wrong]) => wrong.length > 0)).toEqual([]);

    const page = parsePage(p.site.text(pageKey('/xa-hoi/tin-thu-nghiem')) ?? '');
    const imgs = page.byTag('img').map((img) => ({
      src: page.attr(img, 'src') ?? '',
      width: page.attr(img, 'width'),
      height: page.attr(img, 'height'),
    }));
    expect(imgs.map(({ width, height }) => `${width}×${height}`)).toEqual(['600×1000', '700×400', '640×360']);
    // Each original is what the page says it is, in its own format.
    for (const [img, format] of imgs.map((img, i) => [img, ['jpeg', 'png', 'webp'][i]] as const)) {
      const original = p.site.objects.get(img.src.slice(1));
      const meta = await sharp(original?.bytes).metadata();
      expect([meta.format, `${meta.width}`, `${meta.height}`]).toEqual([format, img.width, img.height]);
      expect(original?.contentType).toBe(`image/${format}`);
    }
    // What the page tells sharing sites is the clean original, at its upright size.
    const og = (property: string) =>
      page.byTag('meta').find((m) => page.attr(m, 'property') === property) ?? ({ attrs: [] } as never);
    expect(['og:image', 'og:image:width', 'og:image:height'].map((m) => page.attr(og(m), 'content'))).toEqual(
      [`https://baolaichau.example${imgs[0]?.src}`, '600', '1000'],
    );
  });

  it('keeps an animation animated, and cleans an AVIF', async () => {
    const avif = await sharp({ create: { width: 320, height: 200, channels: 3, background: '#777' } })
      .avif()
      .withExif(EXIF)
      .toBuffer();
    expect(inspectImage(avif)).toEqual({ type: 'avif', width: 320, height: 200 });
    const frames = await Promise.all(
      ['#e22', '#2e2', '#22e'].map((background) =>
        sharp({ create: { width: 48, height: 32, channels: 3, background } })
          .png()
          .toBuffer(),
      ),
    );
    const animation = await sharp(frames, { join: { animated: true } })
      .gif({ delay: [200, 200, 200], loop: 0 })
      .toBuffer();
    await upload(p, { 'xa-hoi/images/dong.gif': animation, 'xa-hoi/images/moi.avif': avif });
    const [report] = await p.change('xa-hoi/dong.md', draftText({}, body('dong.gif', 'moi.avif')));
    expect(report?.status, JSON.stringify(report?.errors)).toBe('published');
    expect(Object.entries(await leaks(p)).filter(([, wrong]) => wrong.length > 0)).toEqual([]);
    const gif = [...p.site.objects].find(([key]) => key.endsWith('/dong.gif'))?.[1];
    const meta = await sharp(gif?.bytes).metadata();
    expect([meta.format, meta.pages, meta.width, meta.height, meta.delay]).toEqual([
      'gif',
      3,
      48,
      32,
      [200, 200, 200],
    ]);
  });

  it('rejects a photo that cannot be decoded, and a bad third photo of three writes nothing', async () => {
    const seed = new Uint8Array(example(SEED_IMAGE_KEY));
    await upload(p, {
      'xa-hoi/images/mot.jpg': seed,
      'xa-hoi/images/hai.png': await pngWithText(),
      'xa-hoi/images/ba.jpg': seed.subarray(0, seed.byteLength / 2),
    });
    const before = p.snapshot();
    const [report] = await p.change('xa-hoi/hong.md', draftText({}, body('mot.jpg', 'hai.png', 'ba.jpg')));
    expect(report?.status).toBe('rejected');
    expect(report?.errors.map((e) => [e.code, e.field])).toEqual([['image_undecodable', 'body']]);
    expect(report?.errors[0]?.message).toMatch(/images\/ba\.jpg.*xuất \(Export\) lại/);
    expect(report?.errors[0]?.messageEn).toMatch(/images\/ba\.jpg cannot be decoded/);
    expect(p.snapshot()).toEqual(before);
  });

  it('rejects an animation of too many frames before decoding it', async () => {
    await upload(p, { 'xa-hoi/images/dai.gif': gifOfFrames(301, 16, 16) });
    const before = p.snapshot();
    const [report] = await p.change('xa-hoi/dai.md', draftText({}, body('dai.gif')));
    expect(report?.status).toBe('rejected');
    expect(report?.errors.map((e) => e.code)).toEqual(['image_frames']);
    expect(report?.errors[0]?.message).toContain('301 khung hình');
    expect(p.snapshot()).toEqual(before);
  });

  it('refuses, rather than throws, a file that cannot be decoded or is too large', async () => {
    const images = new SharpRenditions();
    expect(await images.prepare(new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]))).toMatchObject({
      ok: false,
      refusal: { reason: 'undecodable' },
    });
    expect(await images.prepare(gifOfFrames(30, 2000, 2000))).toEqual({
      ok: false,
      refusal: { reason: 'frames', width: 2000, height: 2000, frames: 30 },
    });
  });
});
