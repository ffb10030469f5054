// Entry point of the help-desk agent console (agent.html): the kiosk's translations, styles and components, its own
// app shell (ConsoleApp.tsx) over window.agentConsole.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ConsoleApp } from './ConsoleApp.tsx';
import { resolveConsoleApi } from './console-client.ts';
import { FALLBACK_LANGUAGE, initI18n } from '../i18n/index.ts';
import { NoHostScreen } from '../screens/NoHostScreen.tsx';
import '../styles/kiosk.css';
import '../styles/console.css';

function start(): void {
  const container = document.getElementById('root');
  if (!container) throw new Error('renderer/agent.html has no #root element');
  const root = createRoot(container);
  initI18n(FALLBACK_LANGUAGE);
  const api = resolveConsoleApi();
  if (api === null) {
    root.render(<NoHostScreen />);
    return;
  }
  root.render(
    <StrictMode>
      <ConsoleApp api={api} />
    </StrictMode>,
  );
}

start();
