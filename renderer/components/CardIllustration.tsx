// A calm drawing of a card going into a reader, so the first instruction is understood without reading.
import type { ReactNode } from 'react';

export function CardIllustration(): ReactNode {
  return (
    <svg className="card-illustration" viewBox="0 0 200 160" aria-hidden="true" focusable="false">
      <g className="card-illustration__card">
        <rect x="55" y="14" width="90" height="96" rx="8" />
        <rect x="70" y="74" width="26" height="20" rx="3" className="card-illustration__chip" />
      </g>
      <rect x="30" y="100" width="140" height="44" rx="8" className="card-illustration__reader" />
      <rect x="50" y="104" width="100" height="6" rx="3" className="card-illustration__slot" />
    </svg>
  );
}
