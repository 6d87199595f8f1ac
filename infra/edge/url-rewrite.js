// Viewer-request function for CloudFront (cloudfront-js-2.0, with a KeyValueStore). The local CDN evaluates
// this same file (infra/edge/url-rewrite.ts fills in the placeholders for both), so readers' URLs behave the
// same on a laptop and behind the CDN.
//
// Every spelling of an address is read as one path first: percent-escapes decoded (%2F, %5C, any case of
// %xx), "\" read as "/", empty and "." segments dropped, ".." taken back, a last "index.html" dropped. Then:
//   an address that cannot be read (bad escape, control character) -> 400
//   an article address with a rule -> 301 to its new address, or 410 Gone (taken down)
//   /                      -> /index.html
//   /<section>/            -> /<section>/index.html
//   /<section>             -> 301 /<section>/
//   /<section>/<slug>      -> /<section>/<slug>/index.html   (also /<section>/page/2, /tag/<tag>/)
//   a path whose last segment has a dot (a file) keeps its normalised path.
// CloudFront caches under the URI this function leaves, so every spelling of a page is one cache entry
// (`/<section>/<slug>/index.html`): the one the pipeline invalidates when the page changes.
//
// When the KeyValueStore cannot be read, the address is served as if it had no rule: a taken-down article
// still cannot come back, because its takedown removed its page from the bucket and from the cache; a moved
// article's old address answers 404 until the store answers again.
import cf from 'cloudfront';

const rules = cf.kvs('__EDGE_RULES_STORE_ID__');
const GONE_PAGE = __GONE_PAGE__;
const BAD_REQUEST_PAGE = __BAD_REQUEST_PAGE__;
const SECURITY_HEADERS = __SECURITY_HEADERS__;
// What a stored redirect may point to: a path of this site (not "//host", not "\"), nothing else.
const SAME_SITE_PATH = /^\/(?![/\\])[A-Za-z0-9\-._~%/]*$/;

function answer(statusCode, statusDescription, own, body) {
  const headers = {};
  let name;
  for (name in SECURITY_HEADERS) headers[name] = { value: SECURITY_HEADERS[name] };
  for (name in own) headers[name] = { value: own[name] };
  const response = { statusCode: statusCode, statusDescription: statusDescription, headers: headers };
  if (body !== undefined) response.body = { encoding: 'text', data: body };
  return response;
}

function redirect(location) {
  return answer(301, 'Moved Permanently', { location: location, 'cache-control': 'public, max-age=3600' });
}

function page(statusCode, statusDescription, body, maxAge) {
  const own = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=' + maxAge };
  return answer(statusCode, statusDescription, own, body);
}

// The address as one path: its decoded segments and whether it names a folder, or null when unreadable.
function readPath(uri) {
  let decoded;
  try {
    decoded = decodeURIComponent(uri);
  } catch (err) {
    return null;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a control character in an address is refused.
  if (decoded.charAt(0) !== '/' || /[\u0000-\u001f\u007f]/.test(decoded)) return null;
  const parts = decoded.replace(/\\/g, '/').split('/');
  const segments = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === '..') segments.pop();
    else if (part !== '' && part !== '.') segments.push(part);
  }
  const last = parts[parts.length - 1];
  let folder = last === '' || last === '.' || last === '..';
  if (!folder && segments[segments.length - 1] === 'index.html') {
    segments.pop();
    folder = true;
  }
  return { segments: segments, folder: folder };
}

async function ruleFor(path) {
  try {
    return await rules.get(path);
  } catch (err) {
    // A key the store does not hold throws, and so does a store that cannot be read: no rule either way.
    return undefined;
  }
}

async function handler(event) {
  const request = event.request;
  const read = readPath(request.uri);
  if (read === null) return page(400, 'Bad Request', BAD_REQUEST_PAGE, 60);
  const segments = read.segments;
  const encoded = [];
  for (let i = 0; i < segments.length; i++) encoded.push(encodeURIComponent(segments[i]));
  const path = '/' + encoded.join('/');
  if (segments.length === 0) {
    request.uri = '/index.html';
    return request;
  }
  const file = !read.folder && segments[segments.length - 1].indexOf('.') !== -1;
  if (file) {
    request.uri = path;
    return request;
  }
  if (segments.length === 1) {
    if (!read.folder) return redirect(path + '/');
    request.uri = path + '/index.html';
    return request;
  }
  const rule = await ruleFor(path);
  if (rule === '410') return page(410, 'Gone', GONE_PAGE, 300);
  if (typeof rule === 'string' && rule.indexOf('301 ') === 0 && SAME_SITE_PATH.test(rule.substring(4))) {
    return redirect(rule.substring(4));
  }
  request.uri = path + '/index.html';
  return request;
}
