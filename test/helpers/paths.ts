import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root, from the compiled test location dist/test/helpers. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** ../shared beside the checkout (real data sets with provenance); SIDEBAND_SHARED overrides. */
export const sharedDir = process.env.SIDEBAND_SHARED ?? path.resolve(repoRoot, '../shared');
export const lhcoDir = path.join(sharedDir, 'data/lhco-rnd-sr');
export const atlasSpectrumCsv = path.join(sharedDir, 'data/atlas-dijet-139fb/atlas_dijet_139fb_ins1759712_table2.csv');
