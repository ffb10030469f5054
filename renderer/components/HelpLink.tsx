// The tenant's help address, as text and as a small QR code a person can scan to take it with them.
// Shown as text, not a link: the kiosk window does not navigate anywhere.
import type { ReactNode } from 'react';
import { QrCodeSvg } from './QrCodeSvg.tsx';

interface HelpLinkProps {
  readonly url: string;
  readonly caption: string;
  readonly qrLabel: string;
}

export function HelpLink({ url, caption, qrLabel }: HelpLinkProps): ReactNode {
  if (url.length === 0) return null;
  return (
    <div className="help-link">
      <QrCodeSvg text={url} label={qrLabel} className="help-link__qr" />
      <p className="help-link__text">
        <span className="help-link__caption">{caption}</span> <span className="help-link__url">{url}</span>
      </p>
    </div>
  );
}
