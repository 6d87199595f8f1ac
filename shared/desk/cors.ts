/**
 * The CORS rule the drafts bucket needs for the desk: the browser PUTs drafts and images to presigned URLs
 * from the site's origin, with the content type the URL was signed for. Nothing else crosses origins.
 */
export function deskUploadCors(origins: readonly string[]) {
  return {
    AllowedOrigins: [...origins],
    AllowedMethods: ['PUT'],
    AllowedHeaders: ['content-type'],
    ExposeHeaders: ['etag', 'x-amz-version-id'],
    MaxAgeSeconds: 3000,
  };
}
