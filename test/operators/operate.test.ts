import { describe, expect, it } from '@jest/globals';
import { Observable, lastValueFrom, of, toArray } from 'rxjs';
import { operate, operatorObserver } from '../../src/operators/operate.js';

/** An operator built with operate(): doubles values, throws on 3 in next and on completion when asked. */
const doubling = (throwOnComplete = false) =>
  operate<number, number>((source, subscriber) =>
    source.subscribe(
      operatorObserver<number>(subscriber, {
        next: (v) => {
          if (v === 3) throw new Error('three');
          subscriber.next(2 * v);
        },
        complete: () => {
          if (throwOnComplete) throw new Error('at completion');
          subscriber.complete();
        },
      }),
    ),
  );

describe('operate', () => {
  it('passes values through the logic', async () => {
    expect(await lastValueFrom(of(1, 2).pipe(doubling(), toArray()))).toEqual([2, 4]);
  });

  it('routes a throw in next to the error channel and unsubscribes from the source', async () => {
    let tornDown = false;
    const source = new Observable<number>((s) => {
      s.next(1);
      s.next(3);
      s.next(4);
      return () => {
        tornDown = true;
      };
    });
    const seen: number[] = [];
    await expect(lastValueFrom(source.pipe(doubling()), { defaultValue: 0 }).then(() => seen)).rejects.toThrow('three');
    source.pipe(doubling()).subscribe({ next: (v) => seen.push(v), error: () => undefined });
    expect(seen).toEqual([2]);
    expect(tornDown).toBe(true);
  });

  it('routes a throw in the completion handler to the error channel (no hang, no uncaught exception)', async () => {
    await expect(lastValueFrom(of(1).pipe(doubling(true)))).rejects.toThrow('at completion');
  });

  it('routes a throw while subscribing (init) to the error channel', async () => {
    const broken = operate<number, number>(() => {
      throw new Error('init');
    });
    await expect(lastValueFrom(of(1).pipe(broken))).rejects.toThrow('init');
  });

  it('passes source errors on unchanged', async () => {
    const failing = new Observable<number>((s) => s.error(new Error('upstream')));
    await expect(lastValueFrom(failing.pipe(doubling()))).rejects.toThrow('upstream');
  });
});
