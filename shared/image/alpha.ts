/**
 * Composites one 8-bit sample with its alpha over white. Transparent areas become white: uploads with
 * alpha are often product shots cut out on a transparent background, which shops present on white; black
 * (the zero of premultiplied data) would frame them in a dark border the classifier never saw in training.
 */
export function overWhite(value: number, alpha: number): number {
  return alpha === 255 ? value : Math.round((value * alpha + 255 * (255 - alpha)) / 255);
}
