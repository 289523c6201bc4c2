/** Energy and mass units a topology may declare for a column; everything is converted to GeV on decoding. */
import { SidebandError } from './errors.js';
export const ENERGY_UNITS = { eV: 1e-9, keV: 1e-6, MeV: 1e-3, GeV: 1, TeV: 1e3 } as const;
export type EnergyUnit = keyof typeof ENERGY_UNITS;

export function toGeVFactor(unit: string): number {
  const f = (ENERGY_UNITS as Record<string, number>)[unit];
  if (f === undefined)
    throw new SidebandError(`unknown energy unit '${unit}' (known: ${Object.keys(ENERGY_UNITS).join(', ')})`);
  return f;
}
