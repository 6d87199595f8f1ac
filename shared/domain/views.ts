/**
 * Something on the site derived from the index: the home page, a section's pages, or an article's page
 * (whose related teasers are a list too). Each is rebuilt from the index by one render job at a time: its
 * id is the FIFO message group of its jobs.
 */
export type ViewId =
  | 'home'
  | `section/${string}`
  | `tag/${string}`
  | `article/${string}`
  | `sitemap/${string}`
  /** The corrected articles, `/dinh-chinh/`. */
  | 'corrections';

/** What a render job must see in the index before it renders (lists are read from eventually consistent indexes). */
export interface Expectation {
  /** The article whose change caused the job, and the version of its record that change wrote. */
  readonly id: string;
  readonly version: number;
}

export interface RenderJob {
  readonly view: ViewId;
  readonly expect?: Expectation;
  /**
   * For a section's or a tag's list: the sort keys where the change took or left a place, so that only the
   * archive pages holding them are rendered (with the front page and the newest). Without them, every page.
   */
  readonly at?: readonly string[];
}
