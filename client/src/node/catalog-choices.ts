import type { Backend, ModelCatalogEntry, WorkerRole } from '@tessera/shared';
import { modelFit } from './device-fit.ts';
import type { DeviceInfo, ModelFit } from './device-fit.ts';
import { roleFit } from './role-fit.ts';

export interface CatalogChoice {
  entry: ModelCatalogEntry;
  fit: ModelFit;
}

/** Every catalog model with whether this tab may offer it, in its role, on `backend`, on this device. */
export function catalogChoices(
  catalog: readonly ModelCatalogEntry[],
  role: WorkerRole,
  backend: Backend,
  device: DeviceInfo | null,
): CatalogChoice[] {
  return catalog.map((entry) => {
    const forRole = roleFit(entry, role);
    if (!forRole.ok) return { entry, fit: forRole };
    return { entry, fit: device === null ? { ok: false, reason: 'checking the device…' } : modelFit(entry, backend, device) };
  });
}
