// A small picture of a machine's screen, for the machine list.

/** `image` scaled to `width` pixels wide (aspect kept), as a PNG data: URL. */
export function thumbnailDataUrl(image: ImageData, width: number): string {
  const full = document.createElement('canvas');
  full.width = image.width;
  full.height = image.height;
  full.getContext('2d')?.putImageData(image, 0, 0);
  const small = document.createElement('canvas');
  small.width = width;
  small.height = Math.round((width * image.height) / image.width);
  small.getContext('2d')?.drawImage(full, 0, 0, small.width, small.height);
  return small.toDataURL('image/png');
}
