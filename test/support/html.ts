import { type DefaultTreeAdapterMap, parse } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

/** Parses a page as a browser would (parse5 follows the HTML standard) and offers a few queries. */
export function parsePage(markup: string) {
  const doc = parse(markup);
  const elements: Element[] = [];
  const walk = (node: Node) => {
    if ('tagName' in node) elements.push(node);
    const children = 'childNodes' in node ? node.childNodes : [];
    for (const child of children) walk(child);
    if ('content' in node && node.content) walk(node.content as unknown as Node);
  };
  walk(doc);
  const attr = (el: Element, name: string) => el.attrs.find((a) => a.name === name)?.value;
  const text = (node: Node): string => {
    if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
    return 'childNodes' in node ? node.childNodes.map(text).join('') : '';
  };
  const hasClass = (el: Element, cls: string) => (attr(el, 'class') ?? '').split(/\s+/).includes(cls);
  return {
    elements,
    attr,
    text,
    byTag: (tag: string) => elements.filter((e) => e.tagName === tag),
    byClass: (cls: string) => elements.filter((e) => hasClass(e, cls)),
    /** Every attribute name used in the page, with the element it is on. */
    attributes: () => elements.flatMap((e) => e.attrs.map((a) => `${e.tagName}[${a.name}]`)),
  };
}
