// Speech mode as React context: whether it is on, and a way for a screen to say something (the PIN screen says
// how many digits are entered). The App owns the state; screens only read it.
import { createContext, useContext } from 'react';

export interface SpeechMode {
  readonly on: boolean;
  /** Says `text` now (cutting off what was being said); does nothing when speech is off. */
  readonly say: (text: string) => void;
  readonly turnOn: () => void;
}

export const SpeechContext = createContext<SpeechMode>({ on: false, say: () => undefined, turnOn: () => undefined });

export function useSpeech(): SpeechMode {
  return useContext(SpeechContext);
}
