// The explicit confirmation before the last PIN try, with "Go back" focused first — the safe choice is the default.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from './ConfirmDialog.tsx';

interface LastTryConfirmProps {
  readonly onConfirm: () => void;
  readonly onBack: () => void;
}

export function LastTryConfirm({ onConfirm, onBack }: LastTryConfirmProps): ReactNode {
  const { t } = useTranslation();
  return (
    <ConfirmDialog
      title={t('pin.confirmTitle')}
      body={t('pin.confirmBody')}
      confirmLabel={t('pin.confirmSubmit')}
      backLabel={t('pin.confirmBack')}
      onConfirm={onConfirm}
      onBack={onBack}
    />
  );
}
