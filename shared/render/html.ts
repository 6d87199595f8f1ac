import escapeHtml from 'escape-html';

/**
 * Markup that is already safe to place in a page. The only ways to make one are the {@link html} tag, which
 * escapes every value it is given, and {@link trustedHtml}, kept for the Markdown renderer's output (itself
 * rendered with raw HTML disabled). Everything else that reaches a page is text and is escaped.
 */
export class SafeHtml {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  toString(): string {
    return this.#value;
  }
}

export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template for HTML: interpolated values are escaped for text and for quoted attribute values,
 * unless they are {@link SafeHtml}. Arrays are joined. `null`, `undefined` and `false` render nothing.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    out += render(values[i] as HtmlValue) + (strings[i + 1] ?? '');
  }
  return new SafeHtml(out);
}

/** Marks output of a renderer that escapes by itself (the Markdown body renderer) as safe. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
