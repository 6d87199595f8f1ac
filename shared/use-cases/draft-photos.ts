import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { ArticleRecord } from '../domain/article.ts';
import type { PublishedImage } from '../domain/body.ts';
import type { Draft } from '../domain/draft.ts';
import { IMAGE_LIMITS, imageOverLimits, imageTypeOfName, inspectImage } from '../domain/images.ts';
import { DraftRejectedError, type Problem, problem } from '../domain/problems.ts';
import { slugify } from '../domain/slug.ts';
import type { ImageRefusal, StoredObject } from '../ports.ts';
import type { SyncDeps } from './change-deps.ts';
import { withLease } from './leases.ts';
import {
  type PhotoToPublish,
  photoObjectKeys,
  preparePhoto,
  publishPhoto,
  type ReadyPhoto,
} from './photos.ts';

export interface ImageToPublish extends PhotoToPublish {
  readonly src: string;
}

/** Reads the draft's images; each gets a content-addressed name on the site. Missing images reject the draft. */
export async function readImages(deps: SyncDeps, draft: Draft): Promise<ImageToPublish[]> {
  const found: ImageToPublish[] = [];
  const problems: Problem[] = [];
  for (const image of draft.images) {
    const object = await deps.drafts.get(image.key, { maxBytes: IMAGE_LIMITS.bytes });
    const src = image.src.slice(0, 120);
    if (!object) {
      problems.push(problem('image_missing', { field: 'body', src, key: image.key }));
      continue;
    }
    const wrong = imageProblem(src, image.key, object);
    if (wrong) {
      problems.push(wrong);
      continue;
    }
    const ext = posix.extname(image.key).slice(1).toLowerCase();
    const type = imageTypeOfName(image.key);
    const name = `${slugify(posix.basename(image.key, posix.extname(image.key))) || 'anh'}.${ext}`;
    const hash = createHash('sha256').update(object.bytes).digest('hex').slice(0, 16);
    found.push({
      src: image.src,
      siteKey: `media/${hash}/${name}`,
      bytes: object.bytes,
      contentType: type ? `image/${type}` : 'application/octet-stream',
    });
  }
  if (problems.length > 0) throw new DraftRejectedError(problems);
  return found;
}

export const CONTENT_NAMES: Record<string, { vi: string; en: string }> = {
  jpeg: { vi: 'là ảnh JPEG', en: 'a JPEG image' },
  png: { vi: 'là ảnh PNG', en: 'a PNG image' },
  gif: { vi: 'là ảnh GIF', en: 'a GIF image' },
  webp: { vi: 'là ảnh WebP', en: 'a WebP image' },
  avif: { vi: 'là ảnh AVIF', en: 'an AVIF image' },
};

/** An image file that is not what its name says, is empty, or is too big to publish. */
export function imageProblem(src: string, key: string, object: StoredObject): Problem | undefined {
  if (object.tooLarge) {
    return problem('image_too_large', {
      field: 'body',
      src,
      size: object.size ?? 0,
      max: IMAGE_LIMITS.bytes,
    });
  }
  if (object.bytes.byteLength === 0) return problem('image_empty', { field: 'body', src });
  const claimed = imageTypeOfName(key) ?? 'jpeg';
  const facts = inspectImage(object.bytes);
  if (facts.type !== claimed) {
    const actual = facts.type ? CONTENT_NAMES[facts.type] : { vi: 'không phải ảnh', en: 'not an image' };
    return problem('image_type_mismatch', {
      field: 'body',
      src,
      claimed: claimed.toUpperCase(),
      actual: actual?.en ?? '',
      actualVi: actual?.vi ?? '',
    });
  }
  // The header's word, before anything is decoded; `preparePhoto` checks again with the decoder's.
  const { width = 0, height = 0 } = facts;
  if (imageOverLimits({ width, height })) return refused(src, { reason: 'dimensions', width, height });
  return undefined;
}

export function refused(src: string, refusal: ImageRefusal): Problem {
  switch (refusal.reason) {
    case 'undecodable':
      return problem('image_undecodable', { field: 'body', src, detail: refusal.detail });
    case 'dimensions': {
      const { width, height } = refusal;
      const max = `${IMAGE_LIMITS.side} px`;
      return problem('image_dimensions', { field: 'body', src, width, height, max });
    }
    case 'frames': {
      const { width, height, frames } = refusal;
      const limits = { maxFrames: IMAGE_LIMITS.frames, maxPixels: IMAGE_LIMITS.animationPixels / 1e6 };
      return problem('image_frames', { field: 'body', src, width, height, frames, ...limits });
    }
  }
}

/**
 * Publishes a draft's images: every one is prepared (decoded, checked, encoded again without metadata)
 * before any is written, so that one that cannot be published leaves the site as it was; one at a time, as
 * a 20 MB photo takes a lot of memory decoded. Each upload's bytes are let go once prepared: a draft's
 * images are in memory once, as uploaded or as prepared.
 */
export async function publishImages(
  deps: SyncDeps,
  images: ImageToPublish[],
): Promise<Map<string, PublishedImage>> {
  const ready: { src: string; photo: ReadyPhoto }[] = [];
  const problems: Problem[] = [];
  for (const [i, image] of images.entries()) {
    const prepared = await preparePhoto(deps, image);
    images[i] = { ...image, bytes: new Uint8Array() };
    if (prepared.ok) ready.push({ src: image.src, photo: prepared.photo });
    else problems.push(refused(image.src.slice(0, 120), prepared.refusal));
  }
  if (problems.length > 0) throw new DraftRejectedError(problems);
  // Under the photo's lease: a takedown of another article that showed it does not remove it meanwhile.
  // One at a time, as they were prepared: each photo's renditions are made from it decoded.
  const published = new Map<string, PublishedImage>();
  for (const { src, photo } of ready) {
    const busy = `Another instance is taking ${photo.siteKey} off the site`;
    published.set(
      src,
      await withLease(deps, `photo#${photo.siteKey}`, busy, () => publishPhoto(deps, photo)),
    );
  }
  return published;
}

/**
 * The photos an article is recorded as showing, with those its record names (a record kept from before
 * photos were recorded shows its photos all the same; publishing it again records them).
 */
export function photosShown(record: ArticleRecord | undefined, recorded: readonly string[]): string[] {
  const named = (record?.photos ?? []).map((p) => p.url.slice(1)).filter((k) => k.startsWith('media/'));
  return [...new Set([...recorded, ...named])].sort();
}

/**
 * Takes off the site every photo the article showed and shows no more, unless another article shows it,
 * then records what it shows now. Each photo is looked at under a lease of its own, which a publish of it
 * takes too: an article that starts showing it in the meantime has recorded so before it writes, so either
 * this sees it and leaves the photo, or its write comes after the removal.
 */
export async function photosNoLongerShown(
  deps: SyncDeps,
  id: string,
  showed: readonly string[],
  shows: readonly string[],
): Promise<void> {
  const dropped = showed.filter((k) => !shows.includes(k));
  for (const siteKey of dropped) {
    await withLease(deps, `photo#${siteKey}`, `Another instance is publishing ${siteKey}`, async () => {
      const others = (await deps.index.articlesShowing(siteKey)).filter((a) => a !== id);
      if (others.length > 0) return;
      const keys = await photoObjectKeys(deps.site, siteKey);
      await deps.site.delete(keys);
      await deps.cdn.invalidate(keys.map((k) => `/${k}`));
      deps.log.info('photo taken off the site', { articleId: id, path: `/${siteKey}` });
    });
  }
  if (dropped.length > 0 || showed.length !== shows.length) await deps.index.setPhotosOf(id, shows);
}
