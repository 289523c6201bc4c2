/**
 * The file sources of the field's formats (HDF5, NumPy, ROOT), opened from a topology's source block with the same
 * projection and dead-letter wiring as Parquet (compile.ts openSource). Loaded only by topologies that use them.
 */
import type { InputError } from '../events/errors.js';
import type { Source } from '../sources/source.js';
import type { SourceConfig } from './schema.js';

export type FormatSourceConfig = Extract<SourceConfig, { kind: 'hdf5' | 'numpy' | 'root' }>;

export async function openFormatSource(
  src: FormatSourceConfig,
  columns: string[],
  onFileError: (e: InputError, rowsLost: number) => void,
  allowedRoots?: readonly string[],
): Promise<Source> {
  switch (src.kind) {
    case 'hdf5': {
      const { Hdf5Source } = await import('../sources/hdf5.js');
      return new Hdf5Source({
        path: src.path,
        key: src.key,
        dataset: src.dataset,
        names: src.columns,
        columns,
        batchSize: src.batchSize,
        allowedRoots,
        onFileError,
      });
    }
    case 'numpy': {
      const { NumpySource } = await import('../sources/numpy.js');
      return new NumpySource({
        path: src.path,
        names: src.columns,
        columns,
        batchSize: src.batchSize,
        allowedRoots,
        onFileError,
      });
    }
    case 'root': {
      const { RootSource } = await import('../sources/root.js');
      return new RootSource({
        path: src.path,
        tree: src.tree,
        columns,
        batchSize: src.batchSize,
        allowedRoots,
        onFileError,
      });
    }
  }
}
