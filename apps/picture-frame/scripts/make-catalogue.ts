/**
 * Draws the bundled offline catalogue: small SVG scenes, our own work, dedicated to the public
 * domain (CC0 1.0), each with keywords. Run it again after changing a scene:
 *   node --import tsx apps/picture-frame/scripts/make-catalogue.ts
 * It writes apps/picture-frame/catalogue/*.svg and catalogue.json (what the provider reads).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const W = 1600;
const H = 1000;
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'catalogue');

/** A tiny seeded generator, so that the scenes are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function svg(title: string, defs: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
    `preserveAspectRatio="xMidYMid slice" role="img"><title>${title}</title>` +
    `<defs>${defs}</defs>${body}</svg>\n`
  );
}

function sky(id: string, stops: string[]): string {
  const s = stops.map((c, i) => `<stop offset="${r1((i / (stops.length - 1)) * 100)}%" stop-color="${c}"/>`);
  return `<linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${s.join('')}</linearGradient>`;
}

function stars(seed: number, count: number, maxY: number): string {
  const r = rng(seed);
  let s = '';
  for (let i = 0; i < count; i++) {
    s += `<circle cx="${r1(r() * W)}" cy="${r1(r() * maxY)}" r="${r1(0.6 + r() * 1.8)}" fill="#fff" opacity="${r1(0.3 + r() * 0.7)}"/>`;
  }
  return s;
}

function pumpkin(x: number, y: number, size: number, face = false): string {
  const w = size;
  const h = size * 0.78;
  const lobes = [-0.36, -0.18, 0, 0.18, 0.36]
    .map((o, i) => {
      const c = i === 2 ? '#f08a1c' : i % 2 ? '#e67612' : '#d9660b';
      return `<ellipse cx="${r1(x + o * w)}" cy="${r1(y)}" rx="${r1(w * 0.26)}" ry="${r1(h / 2)}" fill="${c}"/>`;
    })
    .join('');
  const stem = `<path d="M${r1(x - w * 0.04)} ${r1(y - h * 0.45)} q${r1(w * 0.02)} ${r1(-h * 0.25)} ${r1(w * 0.12)} ${r1(-h * 0.3)} l${r1(w * 0.03)} ${r1(h * 0.07)} q${r1(-w * 0.07)} ${r1(h * 0.08)} ${r1(-w * 0.06)} ${r1(h * 0.25)} z" fill="#4d6b22"/>`;
  const shine = `<ellipse cx="${r1(x - w * 0.2)}" cy="${r1(y - h * 0.18)}" rx="${r1(w * 0.06)}" ry="${r1(h * 0.16)}" fill="#ffd08a" opacity="0.35"/>`;
  if (!face) return lobes + shine + stem;
  const glow = '#ffe066';
  const eyes =
    `<path d="M${r1(x - w * 0.25)} ${r1(y - h * 0.02)} l${r1(w * 0.09)} ${r1(-h * 0.2)} l${r1(w * 0.09)} ${r1(h * 0.2)} z" fill="${glow}"/>` +
    `<path d="M${r1(x + w * 0.07)} ${r1(y - h * 0.02)} l${r1(w * 0.09)} ${r1(-h * 0.2)} l${r1(w * 0.09)} ${r1(h * 0.2)} z" fill="${glow}"/>`;
  const mouth = `<path d="M${r1(x - w * 0.3)} ${r1(y + h * 0.1)} q${r1(w * 0.3)} ${r1(h * 0.35)} ${r1(w * 0.6)} 0 l${r1(-w * 0.08)} ${r1(h * 0.05)} l${r1(-w * 0.06)} ${r1(-h * 0.06)} l${r1(-w * 0.08)} ${r1(h * 0.08)} l${r1(-w * 0.08)} ${r1(-h * 0.08)} l${r1(-w * 0.08)} ${r1(h * 0.08)} l${r1(-w * 0.06)} ${r1(-h * 0.06)} z" fill="${glow}"/>`;
  return lobes + stem + eyes + mouth;
}

function mountains(seed: number, baseY: number, amp: number, color: string, snow?: string): string {
  const r = rng(seed);
  let d = `M0 ${H} L0 ${baseY}`;
  const peaks: [number, number][] = [];
  for (let x = 0; x <= W; x += 200) {
    const px = x + 100;
    const py = baseY - amp * (0.4 + r() * 0.6);
    d += ` L${px} ${r1(py)} L${x + 200} ${r1(baseY - amp * r() * 0.3)}`;
    peaks.push([px, py]);
  }
  d += ` L${W} ${H} Z`;
  let caps = '';
  if (snow) {
    for (const [px, py] of peaks) {
      const k = 0.22 * amp;
      caps += `<path d="M${px} ${r1(py)} L${r1(px - k * 0.9)} ${r1(py + k)} L${r1(px - k * 0.3)} ${r1(py + k * 0.8)} L${px} ${r1(py + k * 1.1)} L${r1(px + k * 0.4)} ${r1(py + k * 0.8)} L${r1(px + k * 0.9)} ${r1(py + k)} Z" fill="${snow}"/>`;
    }
  }
  return `<path d="${d}" fill="${color}"/>${caps}`;
}

function pine(x: number, y: number, h: number, color: string): string {
  const w = h * 0.42;
  return (
    `<rect x="${r1(x - h * 0.03)}" y="${r1(y - h * 0.12)}" width="${r1(h * 0.06)}" height="${r1(h * 0.12)}" fill="#3b2a1a"/>` +
    [0, 0.28, 0.52]
      .map(
        (t, i) =>
          `<path d="M${r1(x)} ${r1(y - h + t * h * 0.9)} L${r1(x - w * (0.55 + i * 0.22))} ${r1(y - h * 0.1 - (0.5 - t) * h * 0.6)} L${r1(x + w * (0.55 + i * 0.22))} ${r1(y - h * 0.1 - (0.5 - t) * h * 0.6)} Z" fill="${color}"/>`,
      )
      .join('')
  );
}

function waves(y: number, color: string, amp: number, len: number, opacity = 1): string {
  let d = `M0 ${y}`;
  for (let x = 0; x < W; x += len) d += ` q${len / 4} ${-amp} ${len / 2} 0 t${len / 2} 0`;
  return `<path d="${d} L${W} ${H} L0 ${H} Z" fill="${color}" opacity="${opacity}"/>`;
}

function catSilhouette(x: number, y: number, s: number, color: string): string {
  // Sitting cat seen from behind, tail curling down the wall.
  return `<g transform="translate(${x} ${y}) scale(${s})" fill="${color}">
<ellipse cx="0" cy="-60" rx="55" ry="70"/>
<circle cx="0" cy="-150" r="42"/>
<path d="M-38 -170 L-30 -222 L-8 -186 Z"/><path d="M38 -170 L30 -222 L8 -186 Z"/>
<path d="M40 -10 q60 10 50 70 q-5 40 -25 60 l-12 -8 q22 -25 20 -50 q0 -40 -45 -50 z"/>
</g>`;
}

function flower(x: number, y: number, r: number, petal: string, centre: string, n = 12): string {
  let p = '';
  for (let i = 0; i < n; i++) {
    const a = (i * 360) / n;
    p += `<ellipse cx="${x}" cy="${r1(y - r * 0.62)}" rx="${r1(r * 0.2)}" ry="${r1(r * 0.5)}" fill="${petal}" transform="rotate(${r1(a)} ${x} ${y})"/>`;
  }
  return p + `<circle cx="${x}" cy="${y}" r="${r1(r * 0.28)}" fill="${centre}"/>`;
}

function tulip(x: number, y: number, h: number, color: string): string {
  return (
    `<path d="M${x} ${y} q-4 ${r1(-h * 0.5)} 0 ${-h}" stroke="#3f7a2c" stroke-width="5" fill="none"/>` +
    `<path d="M${x} ${r1(y - h * 0.35)} q-26 -10 -30 -46 q24 14 30 40 z" fill="#4d8f35"/>` +
    `<path d="M${r1(x - 17)} ${r1(y - h)} q-3 -34 6 -44 l11 14 l11 -14 q9 10 6 44 q-17 14 -34 0 z" fill="${color}"/>`
  );
}

interface Scene {
  id: string;
  title: string;
  keywords: string[];
  draw: () => string;
}

const scenes: Scene[] = [
  {
    id: 'pumpkin-patch',
    title: 'Pumpkin patch at dusk',
    keywords: ['pumpkin', 'pumpkins', 'autumn', 'fall', 'harvest', 'orange', 'field', 'dusk'],
    draw: () =>
      svg(
        'Pumpkin patch at dusk',
        sky('s', ['#2b1b4a', '#8a3b5c', '#f29b54', '#fcd38a']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          `<circle cx="1180" cy="520" r="110" fill="#ffe3a3" opacity="0.85"/>` +
          `<path d="M0 600 Q400 540 800 590 T1600 570 V${H} H0 Z" fill="#4a3a2a"/>` +
          `<path d="M0 680 Q500 620 1000 670 T1600 650 V${H} H0 Z" fill="#3a2d1f"/>` +
          pumpkin(300, 760, 230) +
          pumpkin(700, 700, 150) +
          pumpkin(1000, 820, 300) +
          pumpkin(1400, 720, 180) +
          pumpkin(520, 900, 200),
      ),
  },
  {
    id: 'pumpkin-lantern',
    title: 'Jack-o’-lantern on a starry night',
    keywords: ['pumpkin', 'halloween', 'lantern', 'jack-o-lantern', 'night', 'candle', 'orange'],
    draw: () =>
      svg(
        'Jack-o’-lantern on a starry night',
        sky('s', ['#070b1f', '#16204a', '#2c2352']) +
          '<radialGradient id="g"><stop offset="0" stop-color="#ffb347" stop-opacity="0.55"/><stop offset="1" stop-color="#ffb347" stop-opacity="0"/></radialGradient>',
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          stars(7, 160, 600) +
          `<circle cx="1300" cy="200" r="80" fill="#f4f1d0"/><circle cx="1335" cy="180" r="78" fill="#16204a"/>` +
          `<rect y="820" width="${W}" height="180" fill="#1a1428"/>` +
          `<circle cx="800" cy="700" r="420" fill="url(#g)"/>` +
          pumpkin(800, 720, 420, true),
      ),
  },
  {
    id: 'cat-moon',
    title: 'Cat on a wall under the full moon',
    keywords: ['cat', 'cats', 'kitten', 'moon', 'night', 'wall', 'silhouette'],
    draw: () =>
      svg(
        'Cat on a wall under the full moon',
        sky('s', ['#0d1633', '#27386b', '#5a6fa8']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          stars(3, 120, 700) +
          `<circle cx="800" cy="420" r="260" fill="#f6f0c8"/><circle cx="720" cy="360" r="40" fill="#e8dfae"/><circle cx="880" cy="500" r="28" fill="#e8dfae"/>` +
          `<rect y="700" width="${W}" height="300" fill="#111827"/>` +
          Array.from(
            { length: 17 },
            (_, i) => `<rect x="${i * 100}" y="700" width="96" height="46" fill="#1d2638"/>`,
          ).join('') +
          catSilhouette(800, 700, 1.6, '#0b0f1a'),
      ),
  },
  {
    id: 'cat-sun',
    title: 'Ginger cat asleep in the sun',
    keywords: ['cat', 'cats', 'kitten', 'ginger', 'pet', 'sleep', 'sun', 'cosy'],
    draw: () =>
      svg(
        'Ginger cat asleep in the sun',
        sky('s', ['#fff3d6', '#ffd9a0']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          `<path d="M200 0 L700 0 L1100 1000 L500 1000 Z" fill="#fff9ea" opacity="0.7"/>` +
          `<rect y="720" width="${W}" height="280" fill="#b5654a"/><rect y="720" width="${W}" height="16" fill="#8e4a35"/>` +
          `<ellipse cx="800" cy="700" rx="330" ry="130" fill="#e98b3a"/>` +
          `<path d="M520 690 q-20 90 120 100 q-80 -40 -60 -110 z" fill="#e98b3a"/>` +
          `<circle cx="1060" cy="640" r="110" fill="#f09a48"/>` +
          `<path d="M985 560 L1000 470 L1050 540 Z" fill="#f09a48"/><path d="M1135 560 L1120 470 L1070 540 Z" fill="#f09a48"/>` +
          `<path d="M1010 640 q20 14 40 0 M1080 640 q20 14 40 0" stroke="#5a2d10" stroke-width="6" fill="none" stroke-linecap="round"/>` +
          `<path d="M1058 670 l12 10 l12 -10 z" fill="#c45a5a"/>` +
          [640, 720, 800, 880]
            .map((x) => `<path d="M${x} 600 q20 40 0 90" stroke="#c8702a" stroke-width="14" fill="none"/>`)
            .join('') +
          `<text x="1220" y="520" font-family="sans-serif" font-size="64" fill="#b57a3c" opacity="0.7">z z z</text>`,
      ),
  },
  {
    id: 'sea-sunset',
    title: 'Sunset over the sea',
    keywords: ['sea', 'ocean', 'sunset', 'waves', 'water', 'horizon', 'evening', 'beach'],
    draw: () =>
      svg(
        'Sunset over the sea',
        sky('s', ['#2d1e5a', '#b2456e', '#f7894a', '#ffd27f']) + sky('w', ['#f2a35e', '#6a3a6e', '#1d1f4a']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          `<circle cx="800" cy="560" r="150" fill="#ffe6a6"/>` +
          `<rect y="560" width="${W}" height="440" fill="url(#w)"/>` +
          [600, 640, 690, 750, 820, 900]
            .map(
              (y, i) =>
                `<rect x="${800 - 160 + i * 12}" y="${y}" width="${320 - i * 24}" height="${6 + i}" rx="3" fill="#ffe6a6" opacity="${r1(0.7 - i * 0.1)}"/>`,
            )
            .join('') +
          waves(880, '#1d1f4a', 14, 160, 0.6),
      ),
  },
  {
    id: 'sea-sailboat',
    title: 'Sailing boat on a bright sea',
    keywords: ['sea', 'ocean', 'boat', 'sail', 'sailing', 'summer', 'waves', 'water', 'blue'],
    draw: () =>
      svg(
        'Sailing boat on a bright sea',
        sky('s', ['#5fb3f0', '#bfe4ff']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          `<circle cx="1350" cy="180" r="90" fill="#fff6c2"/>` +
          `<ellipse cx="400" cy="220" rx="160" ry="40" fill="#fff" opacity="0.85"/><ellipse cx="480" cy="200" rx="110" ry="45" fill="#fff" opacity="0.9"/>` +
          `<rect y="600" width="${W}" height="400" fill="#1f78b4"/>` +
          `<path d="M700 640 L980 640 L940 690 L740 690 Z" fill="#7a3e1d"/>` +
          `<path d="M842 620 L842 280 L990 620 Z" fill="#fff"/><path d="M830 620 L830 330 L720 620 Z" fill="#f4e3c0"/>` +
          `<rect x="833" y="270" width="8" height="375" fill="#5a3a22"/>` +
          waves(700, '#2b8fd1', 12, 140, 0.9) +
          waves(800, '#176aa3', 16, 200, 0.9) +
          waves(900, '#0f5586', 18, 240),
      ),
  },
  {
    id: 'mountain-peaks',
    title: 'Snowy mountain peaks',
    keywords: ['mountain', 'mountains', 'peak', 'snow', 'alps', 'range', 'winter', 'hiking'],
    draw: () =>
      svg(
        'Snowy mountain peaks',
        sky('s', ['#7fb2e5', '#d8ecff']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          mountains(11, 560, 380, '#8a9bb8', '#ffffff') +
          mountains(5, 700, 300, '#5b6d8c', '#eef4ff') +
          mountains(21, 860, 180, '#34445e') +
          `<rect y="940" width="${W}" height="60" fill="#243247"/>`,
      ),
  },
  {
    id: 'mountain-lake',
    title: 'Mountain lake at dawn',
    keywords: ['mountain', 'mountains', 'lake', 'reflection', 'dawn', 'water', 'calm'],
    draw: () =>
      svg(
        'Mountain lake at dawn',
        sky('s', ['#f6c6a4', '#f3e1c8', '#c7d9e8']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          mountains(9, 600, 330, '#6d7f99', '#f7efe8') +
          `<g transform="translate(0 1200) scale(1 -1)" opacity="0.35">${mountains(9, 600, 330, '#6d7f99')}</g>` +
          `<rect y="600" width="${W}" height="400" fill="#8fb3cc" opacity="0.55"/>` +
          [650, 700, 760, 830, 910]
            .map(
              (y, i) =>
                `<rect x="${200 + i * 130}" y="${y}" width="${400 - i * 40}" height="3" fill="#fff" opacity="0.5"/>`,
            )
            .join('') +
          pine(120, 640, 240, '#2f4a3a') +
          pine(230, 630, 180, '#2a4334') +
          pine(1480, 650, 260, '#2f4a3a'),
      ),
  },
  {
    id: 'city-night',
    title: 'City skyline at night',
    keywords: ['city', 'skyline', 'night', 'buildings', 'lights', 'urban', 'town', 'skyscraper'],
    draw: () => {
      const r = rng(42);
      let b = '';
      let x = 0;
      while (x < W) {
        const w = 70 + Math.floor(r() * 110);
        const h = 220 + Math.floor(r() * 520);
        const top = 1000 - h;
        b += `<rect x="${x}" y="${top}" width="${w}" height="${h}" fill="${r() < 0.5 ? '#141a33' : '#1b2244'}"/>`;
        for (let wy = top + 20; wy < 960; wy += 34) {
          for (let wx = x + 12; wx < x + w - 16; wx += 24) {
            if (r() < 0.42)
              b += `<rect x="${wx}" y="${wy}" width="12" height="18" fill="${r() < 0.8 ? '#ffd873' : '#9fd3ff'}" opacity="${r1(0.6 + r() * 0.4)}"/>`;
          }
        }
        x += w + 6;
      }
      return svg(
        'City skyline at night',
        sky('s', ['#050816', '#1a1f4d', '#5a3d7a']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          stars(42, 90, 400) +
          `<circle cx="260" cy="170" r="60" fill="#f1edd2"/>` +
          b,
      );
    },
  },
  {
    id: 'flower-tulips',
    title: 'Field of tulips in spring',
    keywords: ['flower', 'flowers', 'tulip', 'tulips', 'spring', 'field', 'garden', 'red'],
    draw: () => {
      const r = rng(17);
      const colors = ['#e63946', '#f4a261', '#e76f9a', '#ffd166', '#d62828'];
      let t = '';
      for (let row = 0; row < 6; row++) {
        const y = 600 + row * 75;
        const h = 90 + row * 22;
        for (let x = -20 + (row % 2) * 40; x < W + 40; x += 70 + row * 8) {
          t += tulip(x + Math.floor(r() * 20), y, h, colors[Math.floor(r() * colors.length)]!);
        }
      }
      return svg(
        'Field of tulips in spring',
        sky('s', ['#8ecdf5', '#e3f4ff']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          `<path d="M0 520 Q400 460 800 520 T1600 500 V${H} H0 Z" fill="#7fbf5a"/>` +
          `<rect y="560" width="${W}" height="440" fill="#5d9e3f"/>` +
          t,
      );
    },
  },
  {
    id: 'flower-daisy',
    title: 'Daisies close up',
    keywords: ['flower', 'flowers', 'daisy', 'daisies', 'white', 'spring', 'meadow', 'garden'],
    draw: () =>
      svg(
        'Daisies close up',
        sky('s', ['#5c9e48', '#2f6b2b']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          flower(520, 460, 330, '#ffffff', '#f6c431', 18) +
          flower(1180, 620, 220, '#fbfbf4', '#f2b418', 16) +
          flower(1320, 200, 140, '#ffffff', '#f6c431', 14) +
          flower(160, 880, 160, '#f4f4ea', '#f2b418', 14),
      ),
  },
  {
    id: 'forest-fog',
    title: 'Pine forest in the fog',
    keywords: ['forest', 'trees', 'tree', 'pine', 'woods', 'fog', 'mist', 'nature', 'green'],
    draw: () => {
      const r = rng(99);
      let layers = '';
      const rows: [number, number, string][] = [
        [560, 200, '#9fb7ad'],
        [680, 280, '#6d8c80'],
        [820, 380, '#3f5f52'],
        [1000, 520, '#21382f'],
      ];
      for (const [y, h, c] of rows) {
        for (let x = -40; x < W + 80; x += h * 0.33 + r() * 60)
          layers += pine(x, y + r() * 40, h * (0.8 + r() * 0.3), c);
        layers += `<rect y="${y - 60}" width="${W}" height="120" fill="#dfe9e4" opacity="0.25"/>`;
      }
      return svg(
        'Pine forest in the fog',
        sky('s', ['#dfe9e4', '#b9cbc3']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` + layers,
      );
    },
  },
  {
    id: 'desert-dunes',
    title: 'Desert dunes and a cactus',
    keywords: ['desert', 'dunes', 'sand', 'cactus', 'hot', 'sun', 'dry'],
    draw: () =>
      svg(
        'Desert dunes and a cactus',
        sky('s', ['#f7b267', '#fde2b0']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          `<circle cx="1200" cy="300" r="120" fill="#fff1c9"/>` +
          `<path d="M0 620 Q300 480 700 600 T1600 560 V${H} H0 Z" fill="#e8a35c"/>` +
          `<path d="M0 760 Q500 620 900 740 T1600 700 V${H} H0 Z" fill="#d4883f"/>` +
          `<path d="M0 900 Q400 800 900 880 T1600 860 V${H} H0 Z" fill="#b86c2c"/>` +
          `<g fill="#3f7a3a"><rect x="360" y="520" width="60" height="330" rx="30"/>` +
          `<path d="M360 690 h-60 a30 30 0 0 1 -30 -30 v-90 a25 25 0 0 1 50 0 v70 h40 z"/>` +
          `<path d="M420 640 h50 v-100 a25 25 0 0 1 50 0 v120 a30 30 0 0 1 -30 30 h-70 z"/></g>`,
      ),
  },
  {
    id: 'space-planet',
    title: 'Ringed planet among the stars',
    keywords: ['space', 'stars', 'planet', 'saturn', 'galaxy', 'night', 'sky', 'universe'],
    draw: () =>
      svg(
        'Ringed planet among the stars',
        '<radialGradient id="p" cx="0.35" cy="0.35"><stop offset="0" stop-color="#ffd89b"/><stop offset="1" stop-color="#b5651d"/></radialGradient>' +
          '<radialGradient id="n" cx="0.3" cy="0.7" r="0.7"><stop offset="0" stop-color="#6b2c91" stop-opacity="0.7"/><stop offset="1" stop-color="#030412" stop-opacity="0"/></radialGradient>',
        `<rect width="${W}" height="${H}" fill="#030412"/><rect width="${W}" height="${H}" fill="url(#n)"/>` +
          stars(1, 420, H) +
          `<ellipse cx="1000" cy="480" rx="420" ry="90" fill="none" stroke="#e9c891" stroke-width="26" opacity="0.8" transform="rotate(-18 1000 480)"/>` +
          `<circle cx="1000" cy="480" r="220" fill="url(#p)"/>` +
          `<path d="M640 560 A420 90 -18 0 0 1390 330" fill="none" stroke="#e9c891" stroke-width="26" opacity="0.9" transform="rotate(0)"/>`,
      ),
  },
  {
    id: 'balloons-sky',
    title: 'Hot-air balloons over the hills',
    keywords: ['balloon', 'balloons', 'sky', 'hot-air', 'flight', 'hills', 'morning', 'colourful'],
    draw: () => {
      const balloon = (x: number, y: number, s: number, a: string, b: string) =>
        `<g transform="translate(${x} ${y}) scale(${s})">` +
        `<path d="M0 -120 C80 -120 100 -40 60 20 L20 70 H-20 L-60 20 C-100 -40 -80 -120 0 -120 Z" fill="${a}"/>` +
        `<path d="M0 -120 C30 -120 40 -40 22 20 L8 70 H-8 L-22 20 C-40 -40 -30 -120 0 -120 Z" fill="${b}"/>` +
        `<path d="M-20 70 L-14 96 M20 70 L14 96" stroke="#5a3a22" stroke-width="3"/>` +
        `<rect x="-16" y="96" width="32" height="24" rx="4" fill="#8a5a2b"/></g>`;
      return svg(
        'Hot-air balloons over the hills',
        sky('s', ['#89c2f0', '#fbe3c4']),
        `<rect width="${W}" height="${H}" fill="url(#s)"/>` +
          balloon(420, 320, 1.6, '#e63946', '#ffd166') +
          balloon(900, 220, 1.1, '#2a9d8f', '#f4f1de') +
          balloon(1240, 420, 1.3, '#7b2cbf', '#ff9f1c') +
          balloon(700, 520, 0.6, '#f77f00', '#fcbf49') +
          `<path d="M0 780 Q400 680 800 770 T1600 740 V${H} H0 Z" fill="#7fae5a"/>` +
          `<path d="M0 860 Q500 780 1000 860 T1600 840 V${H} H0 Z" fill="#5c8f3f"/>`,
      );
    },
  },
];

mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.svg')) rmSync(join(out, f));
const entries = scenes.map((s) => {
  const file = `${s.id}.svg`;
  writeFileSync(join(out, file), s.draw());
  return {
    file,
    title: s.title,
    keywords: s.keywords,
    creator: 'Tidings contributors',
    license: 'CC0 1.0',
    licenseUrl: 'https://creativecommons.org/publicdomain/zero/1.0/',
  };
});
writeFileSync(
  join(out, 'catalogue.json'),
  `${JSON.stringify({ note: 'Generated by scripts/make-catalogue.ts: our own drawings, CC0 1.0.', entries }, null, 2)}\n`,
);
console.log(`wrote ${entries.length} pictures to ${out}`);
