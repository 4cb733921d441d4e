import { createHash } from 'node:crypto';

export interface ArtworkInput {
  readonly prompt: string;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  /** Position of the image in its batch, from 0. */
  readonly index: number;
}

export interface ArtworkStyle {
  /** Of the whole picture, from 0 to 1 (default 1): below 1 it lets an image beneath show through. */
  readonly opacity?: number;
}

/**
 * An abstract SVG picture drawn entirely from a sha256 of the input: a gradient background
 * and a handful of translucent shapes. No text: glyph rendering depends on the fonts
 * installed, which would make the bytes differ between machines. The style changes how it
 * is laid over something, never what is drawn.
 */
export function artworkSvg(input: ArtworkInput, style: ArtworkStyle = {}): string {
  const random = randomFrom(JSON.stringify([input.prompt, input.width, input.height, input.seed, input.index]));
  const { width: w, height: h } = input;
  const side = Math.min(w, h);
  const hue = random() * 360;
  const colour = (offset: number, saturation: number, lightness: number) =>
    hslToHex((hue + offset + random() * 40) % 360, saturation, lightness);

  const angle = random() * Math.PI * 2;
  const [dx, dy] = [Math.cos(angle) * 50, Math.sin(angle) * 50];
  const background =
    `<linearGradient id="bg" x1="${fixed(50 - dx)}%" y1="${fixed(50 - dy)}%" ` +
    `x2="${fixed(50 + dx)}%" y2="${fixed(50 + dy)}%">` +
    `<stop offset="0" stop-color="${colour(0, 0.55, 0.18)}"/>` +
    `<stop offset="0.55" stop-color="${colour(60, 0.6, 0.42)}"/>` +
    `<stop offset="1" stop-color="${colour(150, 0.65, 0.7)}"/>` +
    `</linearGradient>`;

  const shapes: string[] = [];
  const count = 5 + Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    const [cx, cy] = [random() * w, random() * h];
    const size = side * (0.08 + random() * 0.35);
    const paint = {
      fill: colour(90 + i * 47, 0.5 + random() * 0.4, 0.35 + random() * 0.4),
      'fill-opacity': (0.35 + random() * 0.5).toFixed(2),
    };
    const transform = `rotate(${fixed(random() * 360)} ${fixed(cx)} ${fixed(cy)})`;
    switch (Math.floor(random() * 4)) {
      case 0:
        shapes.push(`<circle ${attrs({ cx, cy, r: size / 2, ...paint })}/>`);
        break;
      case 1: {
        const [width, height] = [size, (size * 2) / 3];
        const rect = { x: cx - width / 2, y: cy - height / 2, width, height, rx: size * random() * 0.2 };
        shapes.push(`<rect ${attrs({ ...rect, ...paint, transform })}/>`);
        break;
      }
      case 2:
        shapes.push(`<ellipse ${attrs({ cx, cy, rx: size / 2, ry: size / 5, ...paint, transform })}/>`);
        break;
      default: {
        const points = [0, 1, 2].map((k) => {
          const a = (k * 2 * Math.PI) / 3 + random();
          return `${fixed(cx + (Math.cos(a) * size) / 2)},${fixed(cy + (Math.sin(a) * size) / 2)}`;
        });
        shapes.push(`<polygon ${attrs({ points: points.join(' '), ...paint })}/>`);
      }
    }
  }

  const picture = `<rect width="${w}" height="${h}" fill="url(#bg)"/>${shapes.join('')}`;
  const opacity = style.opacity ?? 1;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">` +
    `<defs>${background}</defs>${opacity < 1 ? `<g opacity="${opacity.toFixed(3)}">${picture}</g>` : picture}</svg>`
  );
}

/** Numbers in [0, 1) from a sha256 chain; enough for drawing, not for secrets. */
function randomFrom(seed: string): () => number {
  let block = createHash('sha256').update(seed).digest();
  let offset = 0;
  return () => {
    if (offset + 4 > block.length) {
      block = createHash('sha256').update(block).digest();
      offset = 0;
    }
    const value = block.readUInt32BE(offset) / 2 ** 32;
    offset += 4;
    return value;
  };
}

const fixed = (value: number): string => value.toFixed(1);

const attrs = (values: Readonly<Record<string, string | number>>): string =>
  Object.entries(values)
    .map(([name, value]) => `${name}="${typeof value === 'number' ? fixed(value) : value}"`)
    .join(' ');

function hslToHex(hue: number, saturation: number, lightness: number): string {
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const x = chroma * (1 - Math.abs(((hue / 60) % 2) - 1));
  const m = lightness - chroma / 2;
  const sectors = [[chroma, x, 0], [x, chroma, 0], [0, chroma, x], [0, x, chroma], [x, 0, chroma], [chroma, 0, x]];
  const rgb = sectors[Math.min(5, Math.floor(hue / 60))];
  return `#${rgb.map((c) => Math.round((c + m) * 255).toString(16).padStart(2, '0')).join('')}`;
}
