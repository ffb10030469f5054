// A QR code drawn as an SVG element: black modules on a white square with a 4-module quiet zone. The SVG
// has crisp edges (no anti-aliasing between modules) and scales with CSS, so it stays sharp at any size.
import type { ReactNode } from 'react';
import { useMemo } from 'react';
import { qrGeometry } from '../logic/qr-path.ts';

interface QrCodeSvgProps {
  readonly text: string;
  /** Accessible name; the code itself is not readable by a screen reader. */
  readonly label: string;
  readonly className: string;
}

export function QrCodeSvg({ text, label, className }: QrCodeSvgProps): ReactNode {
  const geometry = useMemo(() => qrGeometry(text), [text]);
  if (!geometry.ok) return null;
  const { sizeInModules, darkPath } = geometry.value;
  return (
    <svg
      className={className}
      role="img"
      aria-label={label}
      viewBox={`0 0 ${sizeInModules} ${sizeInModules}`}
      shapeRendering="crispEdges"
      xmlns="http://www.w3.org/2000/svg"
    >
      <rect width={sizeInModules} height={sizeInModules} fill="#ffffff" />
      <path d={darkPath} fill="#000000" />
    </svg>
  );
}
