// One component per view; the switch is exhaustive, so a new screen in the contract is a compile error here.
// Each screen is keyed by its name: a new screen mounts fresh (and the old one's state, e.g. the PIN buffer,
// is wiped in its unmount cleanup).
import type { ReactNode } from 'react';
import type { KioskApi, KioskConfig, KioskError, KioskView } from '../../contracts/kiosk-api.ts';
import { CardRefusedScreen } from './CardRefusedScreen.tsx';
import { ConfirmDeviceScreen } from './ConfirmDeviceScreen.tsx';
import { DoneScreen } from './DoneScreen.tsx';
import { EnrollmentScreen } from './EnrollmentScreen.tsx';
import { IssuerUnreachableScreen } from './IssuerUnreachableScreen.tsx';
import { OutOfOrderScreen } from './OutOfOrderScreen.tsx';
import { PinBlockedScreen } from './PinBlockedScreen.tsx';
import { PinScreen } from './PinScreen.tsx';
import { ReadingCardScreen } from './ReadingCardScreen.tsx';
import { StillThereScreen } from './StillThereScreen.tsx';
import { TakeCardOutScreen } from './TakeCardOutScreen.tsx';
import { UserCodeScreen } from './UserCodeScreen.tsx';
import { WelcomeScreen } from './WelcomeScreen.tsx';

export interface ScreenContext {
  readonly kiosk: KioskApi;
  readonly config: KioskConfig;
  readonly receivedAt: number;
  readonly onCallFailed: (error: KioskError) => void;
}

export function renderScreen(view: KioskView, context: ScreenContext): ReactNode {
  const { kiosk, config, receivedAt, onCallFailed } = context;
  const common = { kiosk, config, receivedAt, onCallFailed };
  switch (view.screen) {
    case 'welcome':
      return <WelcomeScreen key={view.screen} {...common} view={view} />;
    case 'out-of-order':
      return <OutOfOrderScreen key={view.screen} {...common} view={view} />;
    case 'take-card-out':
      return <TakeCardOutScreen key={view.screen} {...common} view={view} />;
    case 'reading-card':
      return <ReadingCardScreen key={view.screen} />;
    case 'card-refused':
      return <CardRefusedScreen key={view.screen} {...common} view={view} />;
    case 'pin':
      return <PinScreen key={view.screen} {...common} view={view} />;
    case 'pin-blocked':
      return <PinBlockedScreen key={view.screen} {...common} view={view} />;
    case 'user-code':
      return <UserCodeScreen key={view.screen} {...common} view={view} />;
    case 'confirm-device':
      return <ConfirmDeviceScreen key={view.screen} {...common} view={view} />;
    case 'enrollment':
      return <EnrollmentScreen key={view.screen} {...common} view={view} />;
    case 'done':
      return <DoneScreen key={view.screen} {...common} view={view} />;
    case 'issuer-unreachable':
      return <IssuerUnreachableScreen key={view.screen} {...common} view={view} />;
    case 'still-there':
      return <StillThereScreen key={view.screen} {...common} view={view} />;
  }
}
