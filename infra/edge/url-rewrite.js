// Viewer-request function for CloudFront (cloudfront-js-2.0, with a KeyValueStore). The local site server
// evaluates this same file (infra/edge/url-rewrite.ts fills in the two placeholders for both), so readers'
// URLs behave the same on a laptop and behind the CDN.
//   an address with a rule -> 301 to the article's new address, or 410 Gone (taken down)
//   /                      -> index.html
//   /<section>/            -> <section>/index.html
//   /<section>             -> 301 /<section>/
//   /<section>/<slug>      -> <section>/<slug>/index.html
//   /<section>/page/2      -> <section>/page/2/index.html
//   a path whose last segment has a dot (a file) is left as it is.
import cf from 'cloudfront';

const rules = cf.kvs('__EDGE_RULES_STORE_ID__');
const GONE_PAGE = __GONE_PAGE__;

function redirect(location) {
  return {
    statusCode: 301,
    statusDescription: 'Moved Permanently',
    headers: { location: { value: location }, 'cache-control': { value: 'public, max-age=3600' } },
  };
}

async function ruleFor(uri) {
  try {
    return await rules.get(uri);
  } catch (err) {
    // The store throws for a key it does not hold: no rule for this address.
    return undefined;
  }
}

async function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var rule = await ruleFor(uri);
  if (rule === '410') {
    return {
      statusCode: 410,
      statusDescription: 'Gone',
      headers: {
        'content-type': { value: 'text/html; charset=utf-8' },
        'cache-control': { value: 'public, max-age=300' },
      },
      body: { encoding: 'text', data: GONE_PAGE },
    };
  }
  if (rule && rule.indexOf('301 /') === 0) {
    return redirect(rule.substring(4));
  }
  if (uri.charAt(uri.length - 1) === '/') {
    request.uri = uri + 'index.html';
    return request;
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') !== -1) {
    return request;
  }
  if (uri.indexOf('/', 1) === -1) {
    return redirect(uri + '/');
  }
  request.uri = uri + '/index.html';
  return request;
}
