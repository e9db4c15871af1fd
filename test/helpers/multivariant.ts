/** The variant streams of a multivariant playlist, as the tests read them. */
export interface VariantLine { attrs: string; uri: string; resolution: string | undefined }

export function variants(multivariant: string): VariantLine[] {
  const lines = multivariant.split('\n');
  const out: VariantLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('#EXT-X-STREAM-INF:')) continue;
    const attrs = lines[i]!.slice('#EXT-X-STREAM-INF:'.length);
    out.push({ attrs, uri: lines[i + 1]!, resolution: /RESOLUTION=(\d+x\d+)/.exec(attrs)?.[1] });
  }
  return out;
}
