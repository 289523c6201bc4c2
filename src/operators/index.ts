import { abcd } from './abcd.js';
import { analyse } from './analyse.js';
import { ddpScan } from './ddp-scan.js';
import { compare } from './compare.js';
import { decode } from './decode.js';
import { derive } from './derive.js';
import { ingest } from './ingest.js';
import { route } from './route.js';
import { score } from './score.js';
import { select } from './select.js';
import { trigger } from './trigger.js';

/** The operator registry: every stage a topology compiles to, by name, in flow order. */
export const OPERATORS = {
  decode,
  derive,
  select,
  ingest,
  route,
  trigger,
  analyse,
  score,
  abcd,
  ddpScan,
  compare,
} as const;
export type OperatorName = keyof typeof OPERATORS;
