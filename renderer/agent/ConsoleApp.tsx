// The agent console's shell: the header (title, who is signed in, sign out, language), a live region that says each
// new screen, and the one screen main's view names. When the console locks, the signed-in screen (and every person's
// record it held in React state) is unmounted at once.
import type { ReactNode } from 'react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsoleApi, ConsoleView } from '../../contracts/console-api.ts';
import { LanguagePicker } from '../components/LanguagePicker.tsx';
import { bundledLanguages } from '../i18n/index.ts';
import { LockedScreen, ReadingCardScreen, SignInRefusedScreen } from './screens/SignInScreens.tsx';
import { ConsolePinScreen } from './screens/ConsolePinScreen.tsx';
import { SignedInScreen } from './screens/SignedInScreen.tsx';

interface ConsoleAppProps {
  readonly api: ConsoleApi;
}

export function ConsoleApp({ api }: ConsoleAppProps): ReactNode {
  const { t } = useTranslation();
  const [view, setView] = useState<ConsoleView | null>(null);
  useEffect(() => api.onView(setView), [api]);
  useEffect(() => {
    document.title = t('console.title');
  }, [t]);
  const agent = view?.screen === 'signed-in' ? view.agent : null;
  return (
    <div className="kiosk console">
      <header className="kiosk__header console__header">
        <p className="kiosk__organisation">{t('console.title')}</p>
        {agent === null ? null : (
          <div className="console__agent">
            <p>
              <strong>{t('console.header.signedInAs', { name: agent.name })}</strong>
              <br />
              {t('console.header.roles', {
                roles: agent.roles.map((role) => t(`console.role.${role}`)).join(', '),
              })}
            </p>
            <button type="button" className="button button--secondary" onClick={() => void api.signOut()}>
              {t('console.header.signOut')}
            </button>
          </div>
        )}
        <LanguagePicker languages={bundledLanguages} />
      </header>
      <main className="kiosk__main console__main">{view === null ? null : renderView(api, view)}</main>
    </div>
  );
}

function renderView(api: ConsoleApi, view: ConsoleView): ReactNode {
  switch (view.screen) {
    case 'locked':
      return <LockedScreen reason={view.reason} />;
    case 'reading-card':
      return <ReadingCardScreen />;
    case 'pin':
      return <ConsolePinScreen api={api} view={view} />;
    case 'sign-in-refused':
      return <SignInRefusedScreen reason={view.reason} />;
    case 'signed-in':
      return <SignedInScreen api={api} roles={view.agent.roles} queue={view.queue} kiosks={view.kiosks} />;
  }
}
