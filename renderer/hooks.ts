// Small hooks shared by the screens.
import { useEffect, useRef, useState } from 'react';
import type { RefObject } from 'react';

/** The current time, refreshed every `intervalMs` (drives visible countdowns). */
export function useNow(intervalMs = 250): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * Moves keyboard focus to the element when the screen appears, so keyboard and screen-reader users start at
 * the top of the new screen instead of on a button that no longer exists.
 */
export function useFocusOnMount<T extends HTMLElement>(): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
