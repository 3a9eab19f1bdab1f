/** Why a contributing widget is not working right now, though the visitor agreed. */
export type PauseReason = 'hidden' | 'battery';

export interface BatteryReading {
  level: number;
  charging: boolean;
}

export interface PolitenessSignals {
  /** The page the widget is in is shown (`document.visibilityState`, which a frame shares with its page). */
  visible: boolean;
  /** null where the Battery API does not exist (most browsers but Chromium's). */
  battery: BatteryReading | null;
}

/** Below this charge, off the charger, a visitor's battery is left alone. */
export const LOW_BATTERY_LEVEL = 0.2;

/**
 * Whether a contributing visitor's browser should work now: only while the page is visible, and not on a
 * battery below 20 % that is not charging. Returns the reason to pause, or null.
 *
 * @example
 * pauseReason({ visible: true, battery: { level: 0.15, charging: false } }) // 'battery'
 */
export function pauseReason(signals: PolitenessSignals): PauseReason | null {
  if (!signals.visible) return 'hidden';
  if (signals.battery !== null && !signals.battery.charging && signals.battery.level < LOW_BATTERY_LEVEL) return 'battery';
  return null;
}
