// What this PC holds, as a short list: where the key is kept, the certificate's serial, its expiry and when renewal
// is due (with "due now" once that date has passed).
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { PcInstalled } from '../../../contracts/pc-api.ts';
import { longDate } from '../../logic/long-date.ts';

export function InstalledFacts({ installed }: { readonly installed: PcInstalled }): ReactNode {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'en';
  const renewalDue = Date.now() >= Date.parse(installed.renewalDueAt);
  return (
    <>
      <dl className="pc__facts">
        <dt>{t('pc.facts.keptIn')}</dt>
        <dd>{t(`pc.facts.protection.${installed.protection}`)}</dd>
        <dt>{t('pc.facts.expires')}</dt>
        <dd>{longDate(installed.notAfter, language)}</dd>
        <dt>{t('pc.facts.renewalDue')}</dt>
        <dd>{longDate(installed.renewalDueAt, language)}</dd>
        <dt>{t('pc.facts.serial')}</dt>
        <dd>
          <code>{installed.serialNumberHex}</code>
        </dd>
      </dl>
      {renewalDue ? <p className="notice notice--warning">{t('pc.facts.renewNow')}</p> : null}
      {installed.inStore === false ? <p className="notice notice--problem">{t('pc.facts.notInStore')}</p> : null}
      {installed.inStore === null ? <p className="notice notice--info">{t('pc.facts.storeSilent')}</p> : null}
    </>
  );
}
