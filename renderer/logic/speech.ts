// Speech mode (Section 508 §402, closed functionality: a person cannot bring their own screen reader to a kiosk).
// What is spoken is what the live region announces (logic/announce.ts: translation keys and counts only), the
// PIN's digit count (never a digit), and on the QR screen the one-time password the person must type on their
// phone, digit by digit. Uses the Web Speech API of Chromium/Electron; a page without it stays silent.

/** The part of `window.speechSynthesis` this module uses (a test can stand in a recording fake). */
export interface SpeechOutput {
  speak(utterance: SpeechSynthesisUtterance): void;
  cancel(): void;
}

export interface Speaker {
  /** Says `text` in `language`, cutting off whatever was being said (the newest screen matters). */
  say(text: string, language: string): void;
  /** Says `text` after what is being said. */
  sayNext(text: string, language: string): void;
  stop(): void;
}

export function createSpeaker(output: SpeechOutput | undefined): Speaker {
  const utter = (text: string, language: string): SpeechSynthesisUtterance => {
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = language;
    return utterance;
  };
  return {
    say(text, language) {
      if (output === undefined || text.length === 0) return;
      output.cancel();
      output.speak(utter(text, language));
    },
    sayNext(text, language) {
      if (output === undefined || text.length === 0) return;
      output.speak(utter(text, language));
    },
    stop() {
      output?.cancel();
    },
  };
}

/** The page's speech output, or undefined where the browser has none. */
export function pageSpeechOutput(): SpeechOutput | undefined {
  return typeof window !== 'undefined' && 'speechSynthesis' in window ? window.speechSynthesis : undefined;
}
