import { createHash } from 'node:crypto';

/**
 * Static assets every page uses. Their names carry a hash of their content, so they can be cached for a
 * year and a change reaches readers with the next page that names it.
 */
export interface Asset {
  readonly key: string;
  readonly path: string;
  readonly body: string;
  readonly contentType: string;
}

const CSS = `:root{color-scheme:light dark;--ink:#1b1b1b;--muted:#5a5a5a;--paper:#fff;--rule:#ddd;--accent:#a3161a;--link:#0b3d91}
@media (prefers-color-scheme:dark){:root{--ink:#e8e6e3;--muted:#a8a29e;--paper:#141414;--rule:#333;--accent:#f07167;--link:#8ab4f8}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--paper);color:var(--ink);font:1.0625rem/1.65 "Noto Serif","Times New Roman",Times,serif}
a{color:var(--link)}
.wrap{max-width:46rem;margin:0 auto;padding:0 1rem}
.site-header{border-bottom:3px solid var(--accent);padding:.5rem 0}
.site-header .clock{font:.8125rem/1.4 "Noto Sans",Arial,sans-serif;color:var(--muted);min-height:1.2em;display:block}
.site-name{font:700 1.75rem/1.2 "Noto Serif",serif;color:var(--accent);text-decoration:none;display:inline-block;margin:.25rem 0}
.sections{font:600 .9375rem/1.4 "Noto Sans",Arial,sans-serif;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.25rem 0 0;padding:0;list-style:none}
.sections a{color:var(--ink);text-decoration:none}
.sections a:hover,.sections a:focus{color:var(--accent);text-decoration:underline}
main{padding:1rem 0 2rem}
.section-label{font:600 .875rem/1.4 "Noto Sans",Arial,sans-serif;text-transform:uppercase;letter-spacing:.02em;margin:0}
.section-label a{color:var(--accent);text-decoration:none}
h1{font:700 1.75rem/1.3 "Noto Serif",serif;margin:.5rem 0}
.published{font:.875rem/1.4 "Noto Sans",Arial,sans-serif;color:var(--muted);margin:0 0 1rem}
.lead{font-weight:700;margin:0 0 1rem}
.body p{margin:0 0 1rem}
.body h2,.body h3,.body h4{font-family:"Noto Sans",Arial,sans-serif;line-height:1.3}
.photo{margin:1.5rem 0}
.photo img{display:block;max-width:100%;height:auto;margin:0 auto}
.photo figcaption{font:italic .9375rem/1.5 "Noto Serif",serif;color:var(--muted);text-align:center;padding:.5rem 0}
.byline{font-weight:700;text-align:right;margin:1.5rem 0}
.tags{font:.875rem/1.4 "Noto Sans",Arial,sans-serif;color:var(--muted)}
.teasers{list-style:none;margin:0;padding:0}
.teaser{border-top:1px solid var(--rule);padding:.875rem 0}
.teaser h2,.teaser h3{font:700 1.125rem/1.35 "Noto Serif",serif;margin:0 0 .25rem}
.teaser h2 a,.teaser h3 a{color:var(--ink);text-decoration:none}
.teaser h2 a:hover,.teaser h3 a:hover{color:var(--accent);text-decoration:underline}
.teaser p{margin:0;color:var(--muted);font-size:.9375rem}
.teaser .section-label{font-size:.75rem}
.related{margin-top:2rem;border-top:3px solid var(--accent)}
.related>h2{font:700 1.125rem/1.4 "Noto Sans",Arial,sans-serif;margin:.75rem 0}
.pagination{font:.9375rem/1.4 "Noto Sans",Arial,sans-serif;display:flex;gap:1rem;justify-content:space-between;margin:1.5rem 0}
.empty{color:var(--muted)}
.correction{border-left:4px solid var(--accent);padding:.25rem .75rem;margin:0 0 1rem;font:.9375rem/1.5 "Noto Sans",Arial,sans-serif}
.correction p{margin:0}
.comments{margin-top:2rem;border-top:3px solid var(--accent)}
.comments>h2{font:700 1.125rem/1.4 "Noto Sans",Arial,sans-serif;margin:.75rem 0}
.comments h3{font:700 1rem/1.4 "Noto Sans",Arial,sans-serif;margin:1.25rem 0 .5rem}
.comment-list{list-style:none;margin:0;padding:0}
.comment{border-top:1px solid var(--rule);padding:.75rem 0}
.comment-meta{font:.875rem/1.4 "Noto Sans",Arial,sans-serif;color:var(--muted);margin:0 0 .25rem}
.comment-meta strong{color:var(--ink)}
.comment-text p{margin:0 0 .5rem;overflow-wrap:anywhere}
.comment-form label{display:block;font:600 .875rem/1.4 "Noto Sans",Arial,sans-serif;margin-bottom:.25rem}
.comment-form input,.comment-form textarea{width:100%;font:inherit;padding:.5rem;border:1px solid var(--muted);border-radius:4px;background:var(--paper);color:var(--ink)}
.comment-form button{font:600 1rem/1.2 "Noto Sans",Arial,sans-serif;padding:.625rem 1.25rem;border:0;border-radius:4px;background:var(--accent);color:#fff;cursor:pointer}
.comment-note{font:.875rem/1.4 "Noto Sans",Arial,sans-serif;color:var(--muted)}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.answer{margin:2rem 0}
.site-footer{border-top:1px solid var(--rule);font:.8125rem/1.5 "Noto Sans",Arial,sans-serif;color:var(--muted);padding:1rem 0 2rem}
@media (min-width:60rem){h1{font-size:2.125rem}.wrap{max-width:60rem}article.story{max-width:46rem}}
`;

// Runs in the reader's browser: the header clock in Vietnam time (UTC+7 all year), whatever the reader's zone.
const CLOCK_JS = `(function(){var el=document.querySelector('[data-clock]');if(!el)return;
var days=['Chủ nhật','Thứ hai','Thứ ba','Thứ tư','Thứ năm','Thứ sáu','Thứ bảy'];
function two(n){return(n<10?'0':'')+n}
function tick(){var t=new Date(Date.now()+7*3600000);
el.textContent=days[t.getUTCDay()]+', '+two(t.getUTCDate())+'/'+two(t.getUTCMonth()+1)+'/'+t.getUTCFullYear()+', '+two(t.getUTCHours())+':'+two(t.getUTCMinutes())+' [GMT+7]';}
tick();setInterval(tick,15000);})();
`;

function asset(name: string, ext: string, body: string, contentType: string): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  const key = `assets/${name}.${hash}.${ext}`;
  return { key, path: `/${key}`, body, contentType };
}

// The paper's initial on its accent colour: small enough to keep inline in the bundle.
const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#a3161a"/><text x="32" y="45" font-family="Georgia,serif" font-size="40" font-weight="700" text-anchor="middle" fill="#fff">L</text></svg>
`;

export const STYLESHEET = asset('site', 'css', CSS, 'text/css; charset=utf-8');
export const CLOCK_SCRIPT = asset('clock', 'js', CLOCK_JS, 'text/javascript; charset=utf-8');
export const FAVICON = asset('favicon', 'svg', FAVICON_SVG, 'image/svg+xml');
export const ASSETS: readonly Asset[] = [STYLESHEET, CLOCK_SCRIPT, FAVICON];
