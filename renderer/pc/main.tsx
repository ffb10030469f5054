// Entry point of "Set up this PC" (pc.html): the kiosk's translations, styles, components and PIN entry, its own
// app shell (PcApp.tsx) over window.thisPc. A third page beside the kiosk's and the agent console's rather than a
// mode of the kiosk's: the kiosk's shell is built around a public terminal (idle timer, "Still there?", the next
// person's language, Escape starts over) and its KioskApi; what the two share is below the shell (screens' frame,
// card picture, keypad, PIN buffer, language picker, texts), which every page imports.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { FALLBACK_LANGUAGE, initI18n } from '../i18n/index.ts';
import { NoHostScreen } from '../screens/NoHostScreen.tsx';
import { PcApp } from './PcApp.tsx';
import { resolvePcApi } from './pc-client.ts';
import '../styles/kiosk.css';
import '../styles/pc.css';

function start(): void {
  const container = document.getElementById('root');
  if (!container) throw new Error('renderer/pc.html has no #root element');
  const root = createRoot(container);
  initI18n(FALLBACK_LANGUAGE);
  const api = resolvePcApi();
  if (api === null) {
    root.render(<NoHostScreen />);
    return;
  }
  root.render(
    <StrictMode>
      <PcApp api={api} />
    </StrictMode>,
  );
}

start();
