import { z } from 'zod';
import { pauseReason, type BatteryReading, type PauseReason } from './politeness.ts';

/** The Battery API's manager, as far as the widget reads it (Chromium only; parsed, not trusted blindly). */
const batterySchema = z.object({ level: z.number().min(0).max(1), charging: z.boolean() });

interface BatteryEvents {
  addEventListener(type: 'levelchange' | 'chargingchange', listener: () => void): void;
  removeEventListener(type: 'levelchange' | 'chargingchange', listener: () => void): void;
}

function isBatteryManager(value: unknown): value is BatteryEvents & BatteryReading {
  return batterySchema.safeParse(value).success && typeof Reflect.get(value as object, 'addEventListener') === 'function';
}

/**
 * Watches what decides whether a contributing visitor works now: the page's visibility (a frame shares its
 * page's `document.visibilityState`) and, where the Battery API exists, the charge. Calls `onChange` with the
 * reason to pause (or null) at once and on every change; returns the function that stops watching.
 */
export function watchPoliteness(onChange: (reason: PauseReason | null) => void): () => void {
  let battery: (BatteryEvents & BatteryReading) | null = null;
  let last: PauseReason | null | undefined;
  const report = (): void => {
    const reading = battery === null ? null : batterySchema.parse({ level: battery.level, charging: battery.charging });
    const reason = pauseReason({ visible: document.visibilityState === 'visible', battery: reading });
    if (reason === last) return;
    last = reason;
    onChange(reason);
  };
  let stopped = false;
  document.addEventListener('visibilitychange', report);
  const getBattery: unknown = Reflect.get(navigator, 'getBattery');
  if (typeof getBattery === 'function') {
    void (getBattery.call(navigator) as Promise<unknown>)
      .then((manager) => {
        if (stopped || !isBatteryManager(manager)) return;
        battery = manager;
        manager.addEventListener('levelchange', report);
        manager.addEventListener('chargingchange', report);
        report();
      })
      .catch(() => undefined);
  }
  report();
  return () => {
    stopped = true;
    document.removeEventListener('visibilitychange', report);
    battery?.removeEventListener('levelchange', report);
    battery?.removeEventListener('chargingchange', report);
  };
}
