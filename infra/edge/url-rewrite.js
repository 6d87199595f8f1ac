// Viewer-request function for CloudFront (cloudfront-js-2.0). The local site server evaluates this same
// file, so readers' URLs map to site-bucket objects the same way on a laptop and behind the CDN.
//   /                    -> index.html
//   /<section>/          -> <section>/index.html
//   /<section>           -> 301 /<section>/
//   /<section>/<slug>    -> <section>/<slug>/index.html
//   /<section>/page/2    -> <section>/page/2/index.html
//   a path whose last segment has a dot (a file) is left as it is.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.charAt(uri.length - 1) === '/') {
    request.uri = uri + 'index.html';
    return request;
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') !== -1) {
    return request;
  }
  if (uri.indexOf('/', 1) === -1) {
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: { location: { value: uri + '/' }, 'cache-control': { value: 'public, max-age=3600' } },
    };
  }
  request.uri = uri + '/index.html';
  return request;
}
