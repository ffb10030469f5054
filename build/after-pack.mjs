// electron-builder afterPack hook (electron-builder.yml `afterPack`): flips Electron's fuses in the packaged
// binary before it is signed, so the shipped kiosk cannot be turned into something else by its command line or
// environment. Plain JavaScript: electron-builder imports it outside the TypeScript loader.
//
// Checked by test/integration/main/electron-builder.test.ts, which packages with a FAKE Electron stand-in that
// carries a fuse wire, then reads the wire back.
import { join } from 'node:path';
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses';

/** The kiosk's fuses (https://www.electronjs.org/docs/latest/tutorial/fuses). */
export const KIOSK_FUSES = {
  version: FuseVersion.V1,
  // ELECTRON_RUN_AS_NODE would make the signed binary a general-purpose Node.js.
  [FuseV1Options.RunAsNode]: false,
  // Cookies and local storage encrypted with an OS-held key.
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS (e.g. --require) and --inspect would run code inside the kiosk.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // The app is loaded only from app.asar, and the asar is checked against the hash embedded at packaging
  // (enforced by Electron on Windows and macOS).
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
};

const EXTENSIONS = { darwin: '.app', mas: '.app', win32: '.exe', linux: '' };

/** @param {{ appOutDir: string, electronPlatformName: string, packager: { executableName?: string, appInfo: { productFilename: string } } }} context */
export default async function afterPack(context) {
  const platform = context.electronPlatformName;
  const extension = EXTENSIONS[platform];
  if (extension === undefined) throw new Error(`afterPack: no fuse location known for platform ${platform}`);
  const name = platform === 'linux' ? context.packager.executableName : context.packager.appInfo.productFilename;
  if (name === undefined) throw new Error('afterPack: the packager names no executable');
  await flipFuses(join(context.appOutDir, `${name}${extension}`), {
    ...KIOSK_FUSES,
    // macOS: flipping fuses breaks the ad-hoc signature of an unsigned build; re-sign it ad hoc.
    resetAdHocDarwinSignature: platform === 'darwin',
  });
}
