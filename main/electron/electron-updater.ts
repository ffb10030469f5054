// The kiosk's UpdaterPort over electron-updater: a generic feed (latest.yml + installers on any HTTPS server; the
// issuer can host it), download in the background, never a prompt, install only when kiosk-updater.ts says so.
// Signature checks: electron-updater verifies every download's sha512 from the feed, and on Windows the installer's
// Authenticode signature against electron-builder.yml's publisherName (win.verifyUpdateCodeSignature).
//
// electron-updater (a dependency, so packaged with the app) is loaded at run time and only when the configuration
// names a feed: a kiosk without one runs without updates and never loads it.
import type { UpdaterPort } from '../update/kiosk-updater.ts';

interface ElectronAutoUpdater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowDowngrade: boolean;
  allowPrerelease: boolean;
  setFeedURL(options: { provider: 'generic'; url: string }): void;
  checkForUpdates(): Promise<unknown>;
  on(event: 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  quitAndInstall(isSilent: boolean, isForceRunAfter: boolean): void;
}

function isAutoUpdater(value: unknown): value is ElectronAutoUpdater {
  if (typeof value !== 'object' || value === null) return false;
  return ['setFeedURL', 'checkForUpdates', 'on', 'quitAndInstall'].every(
    (name) => name in value && typeof (value as Record<string, unknown>)[name] === 'function',
  );
}

/** Null when electron-updater is not installed (the kiosk then runs without updates). */
export async function createElectronUpdater(feedUrl: string): Promise<UpdaterPort | null> {
  const moduleName = 'electron-updater'; // a variable: esbuild leaves the import to run time
  let loaded: unknown;
  try {
    loaded = await import(moduleName);
  } catch {
    return null;
  }
  const autoUpdater =
    typeof loaded === 'object' && loaded !== null && 'autoUpdater' in loaded ? loaded.autoUpdater : null;
  if (!isAutoUpdater(autoUpdater)) return null;
  autoUpdater.setFeedURL({ provider: 'generic', url: feedUrl });
  autoUpdater.autoDownload = true;
  // Installing at quit would restart a kiosk mid-session; kiosk-updater.ts decides when.
  autoUpdater.autoInstallOnAppQuit = false;
  autoUpdater.allowDowngrade = false;
  autoUpdater.allowPrerelease = false;
  return {
    checkAndDownload: async () => {
      await autoUpdater.checkForUpdates();
    },
    onDownloaded: (listener) => {
      autoUpdater.on('update-downloaded', (info) => listener(String(info.version)));
    },
    // Silent (no installer UI at a kiosk), and run the kiosk again afterwards.
    installAndRestart: () => autoUpdater.quitAndInstall(true, true),
  };
}
