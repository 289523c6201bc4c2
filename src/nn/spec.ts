/**
 * Declarative network architectures: JSON-able layer specs (saved with a trained model, sent to worker threads),
 * small builder functions to write them, and the compiler from specs to modules.
 *
 *   const spec = network(4, [dense(64, { activation: 'relu', dropout: 0.05 }), dense(64, ...), dense(1)]);
 */
import { TopologyError } from '../events/errors.js';
import type { Activation } from './kernels-api.js';
import { ActivationLayer } from './layers/activation.js';
import { BatchNorm } from './layers/batchnorm.js';
import { Branches } from './layers/branches.js';
import { Conv1d } from './layers/conv1d.js';
import { Dense, type InitScheme } from './layers/dense.js';
import { DropoutLayer } from './layers/dropout.js';
import { Flatten, ToSequence } from './layers/reshape.js';
import { Sequential } from './layers/sequential.js';
import type { Module } from './module.js';

export type LayerSpec =
  | {
      type: 'dense';
      units: number;
      activation?: Activation;
      slope?: number;
      dropout?: number;
      bias?: boolean;
      init?: InitScheme;
      mask?: number[];
    }
  | { type: 'activation'; activation: Activation; slope?: number }
  | { type: 'dropout'; rate: number }
  | { type: 'batchnorm'; eps?: number; momentum?: number; affine?: boolean }
  | {
      type: 'conv1d';
      channels: number;
      kernel: number;
      activation?: 'linear' | 'relu' | 'leaky';
      slope?: number;
      padding?: 'same' | number;
      bias?: boolean;
      dropout?: number;
      init?: InitScheme;
    }
  | { type: 'branches'; branches: LayerSpec[][]; withInput?: boolean }
  | { type: 'sequence'; channels: number }
  | { type: 'flatten' };

export interface NetworkSpec {
  /** Features per input row. */
  inputs: number;
  layers: LayerSpec[];
}

type Opts<T extends LayerSpec['type']> = Omit<Extract<LayerSpec, { type: T }>, 'type'>;

export const network = (inputs: number, layers: LayerSpec[]): NetworkSpec => ({ inputs, layers });
export const dense = (units: number, o: Omit<Opts<'dense'>, 'units'> = {}): LayerSpec => ({
  type: 'dense',
  units,
  ...o,
});
export const activation = (a: Activation, slope?: number): LayerSpec => ({
  type: 'activation',
  activation: a,
  ...(slope === undefined ? {} : { slope }),
});
export const dropout = (rate: number): LayerSpec => ({ type: 'dropout', rate });
export const batchNorm = (o: Opts<'batchnorm'> = {}): LayerSpec => ({ type: 'batchnorm', ...o });
export const conv1d = (
  channels: number,
  kernel: number,
  o: Omit<Opts<'conv1d'>, 'channels' | 'kernel'> = {},
): LayerSpec => ({
  type: 'conv1d',
  channels,
  kernel,
  ...o,
});
export const branches = (list: LayerSpec[][], withInput = false): LayerSpec => ({
  type: 'branches',
  branches: list,
  withInput,
});
/** View each input row as positions x `channels` (a histogram of L bins: toSequence(1) gives L x 1). */
export const toSequence = (channels = 1): LayerSpec => ({ type: 'sequence', channels });
export const flatten = (): LayerSpec => ({ type: 'flatten' });

/** Compile specs into modules. */
export function buildModules(layers: LayerSpec[]): Sequential {
  return new Sequential(layers.map(buildOne));
}

function buildOne(s: LayerSpec): Module {
  switch (s.type) {
    case 'dense':
      return new Dense(s.units, { ...s, mask: s.mask ? Float32Array.from(s.mask) : undefined });
    case 'activation':
      return new ActivationLayer(s.activation, s.slope);
    case 'dropout':
      return new DropoutLayer(s.rate);
    case 'batchnorm':
      return new BatchNorm(s);
    case 'conv1d':
      return new Conv1d(s.channels, s.kernel, s);
    case 'branches':
      return new Branches(s.branches.map(buildModules), s.withInput ?? false);
    case 'sequence':
      return new ToSequence(s.channels);
    case 'flatten':
      return new Flatten();
    default:
      throw new TopologyError(`nn spec: unknown layer type ${(s as { type: string }).type}`);
  }
}
