// Entry point: find window.kiosk, read the kiosk configuration, set up translations, render the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { KioskConfig } from '../contracts/kiosk-api.ts';
import { App } from './App.tsx';
import { NoHostScreen } from './screens/NoHostScreen.tsx';
import { FALLBACK_LANGUAGE, bundledLanguages, initI18n } from './i18n/index.ts';
import { resolveKioskApi } from './kiosk-client.ts';
import './styles/kiosk.css';

/** Used when main cannot answer getConfig: the kiosk still works, in the fallback language. */
const FALLBACK_CONFIG: KioskConfig = {
  languages: bundledLanguages,
  defaultLanguage: FALLBACK_LANGUAGE,
  helpUrl: '',
  displayName: '',
  idleSeconds: 60,
};

async function start(): Promise<void> {
  const container = document.getElementById('root');
  if (!container) throw new Error('renderer/index.html has no #root element');
  const root = createRoot(container);
  const kiosk = await resolveKioskApi();
  if (!kiosk) {
    initI18n(FALLBACK_LANGUAGE);
    root.render(<NoHostScreen />);
    return;
  }
  const configResult = await kiosk.getConfig();
  if (!configResult.ok) console.warn(`getConfig failed: ${configResult.error.code}`);
  const config = configResult.ok ? configResult.value : FALLBACK_CONFIG;
  initI18n(config.defaultLanguage);
  root.render(
    <StrictMode>
      <App kiosk={kiosk} config={config} />
    </StrictMode>,
  );
}

void start();
