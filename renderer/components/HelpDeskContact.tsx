// "Help desk:" and how to reach it in person: phone, place, hours (tenant configuration). Without them, the
// tenant's help address as plain text. Never a QR code: the enrollment's must be the only one on its screen.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { KioskConfig } from '../../contracts/kiosk-api.ts';

interface HelpDeskContactProps {
  readonly config: KioskConfig;
  readonly helpUrl: string;
}

export function HelpDeskContact({ config, helpUrl }: HelpDeskContactProps): ReactNode {
  const { t } = useTranslation();
  const desk = config.helpDesk;
  const parts = [desk?.phone, desk?.place, desk?.hours].filter((part): part is string => Boolean(part));
  const contact = parts.length > 0 ? parts.join(' · ') : helpUrl;
  if (contact.length === 0) return null;
  return (
    <p className="help-desk">
      <span className="help-desk__caption">{t('helpDesk.caption')}</span>{' '}
      <span className="help-desk__contact">{contact}</span>
    </p>
  );
}
